"""Pure renderers and the normaliser: same input, same XML; ours and libvirt's compare equal."""
import os
import xml.etree.ElementTree as ET

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, normalise, render

FIX = os.path.join(os.path.dirname(__file__), "fixtures")
LAB = {"kernel": "/var/lib/azblink/lab-guest/vmlinuz", "initrd": "/var/lib/azblink/lab-guest/initrd.img",
       "cmdline": "console=ttyS0,115200 quiet mitigations=off panic=5 azb.ip=10.3.0.20/24 azb.gw=10.3.0.1 "
                  "azb.hostname=t1"}


# What the lab's libvirt offers (no /dev/kvm in the appliances): the fixtures are its domains.
LAB_DOMAIN_TYPES = ("qemu",)


def t1_spec(**kw):
    p = dict(name="t1", memory=160, boot=dict(LAB), disks=[{"size": "16M"}],
             nics=[{"bridge": "br3", "rate_limit": {"inbound_kbit": 8000}}], vcpu_pins=["1"], autostart=True,
             watchdog={"action": "reset"})
    p.update(kw)
    return model.accelerate(model.validate(p), LAB_DOMAIN_TYPES)


def dom(xml):
    return ET.fromstring(xml)


def test_rendering_is_deterministic():
    a = render.render_domain(t1_spec(), model.derive_uuid("t1"))
    b = render.render_domain(t1_spec(), model.derive_uuid("t1"))
    assert a == b


def test_libvirts_inactive_xml_of_our_domain_normalises_to_ours():
    """The fixture is `virsh dumpxml --inactive t1` from a lab appliance after azb_vm defined t1."""
    with open(os.path.join(FIX, "t1-inactive.xml")) as f:
        live = f.read()
    uuid = normalise.domain_uuid(live)
    ours = render.render_domain(t1_spec(), uuid)
    assert "pc-q35-7.2" in live and "<address" in live  # libvirt's additions are really there
    assert normalise.canonical(live) == normalise.canonical(ours)


def test_a_real_change_shows_in_the_canonical_diff():
    with open(os.path.join(FIX, "t1-inactive.xml")) as f:
        live = f.read()
    ours = render.render_domain(t1_spec(memory=256), normalise.domain_uuid(live))
    before, after = normalise.canonical(live), normalise.canonical(ours)
    assert before != after
    assert "<memory unit=\"KiB\">262144</memory>" in after and "163840" in before


def test_machine_aliases():
    assert normalise.machine_alias("pc-q35-7.2") == "q35"
    assert normalise.machine_alias("pc-i440fx-7.2") == "pc"
    assert normalise.machine_alias("microvm") == "microvm"


def test_linux_guest_elements():
    iotune = {"total_iops_sec": 200, "read_bytes_sec": 1048576}
    spec = t1_spec(disks=[{"size": "1G", "iotune": iotune}], vcpus=2, vcpu_pins=["0", "1"], emulator_pin="0")
    x = dom(render.render_domain(spec, "u"))
    assert x.get("type") == "qemu"
    assert x.findtext("os/kernel") == LAB["kernel"] and x.findtext("os/cmdline") == LAB["cmdline"]
    assert [(p.get("vcpu"), p.get("cpuset")) for p in x.findall("cputune/vcpupin")] == [("0", "0"), ("1", "1")]
    assert x.find("cputune/emulatorpin").get("cpuset") == "0"
    d = x.find("devices/disk")
    assert d.get("type") == "volume" and d.find("source").get("volume") == "t1-disk0.qcow2"
    assert d.findtext("iotune/total_iops_sec") == "200" and d.findtext("iotune/read_bytes_sec") == "1048576"
    i = x.find("devices/interface")
    assert i.find("model").get("type") == "virtio" and i.find("target").get("dev") == model.tap_name("t1", 0)
    assert i.find("bandwidth") is None  # tc backend: limits live in metadata only
    meta = x.find("metadata/{%s}vm/{%s}nic" % (render.AZB_NS, render.AZB_NS))
    assert meta.get("inbound_kbit") == "8000" and meta.get("tap") == model.tap_name("t1", 0)
    assert x.find("devices/watchdog").attrib == {"model": "i6300esb", "action": "reset"}
    assert x.find("devices/serial") is not None and x.find("devices/console") is not None
    assert x.find("clock").get("offset") == "utc" and x.find("features/hyperv") is None


def test_libvirt_bandwidth_backend():
    spec = t1_spec(nics=[{"bridge": "br3", "rate_limit": {"inbound_kbit": 8000, "outbound_kbit": 4000,
                                                          "burst_kb": 64}}])
    bw = dom(render.render_domain(spec, "u", rate_backend="libvirt")).find("devices/interface/bandwidth")
    assert bw.find("inbound").attrib == {"average": "1000", "burst": "64"}
    assert bw.find("outbound").attrib == {"average": "500", "burst": "64"}


def test_windows_guest_is_uefi_hyperv_localtime_with_virtio_iso():
    # A production box (KVM): what state rendered shows, having no box to ask.
    spec = model.accelerate(model.validate({"name": "desk1", "os_type": "windows", "vcpus": 2, "memory": 4096,
                                            "disks": [{"size": "60G", "bus": "sata"}], "nics": [{"bridge": "br4"}],
                                            "windows": {"tpm": True}}), None)
    x = dom(render.render_domain(spec, "u"))
    assert x.get("type") == "kvm" and x.find("cpu").get("mode") == "host-passthrough"
    assert x.find("os").get("firmware") == "efi"
    assert x.find("clock").get("offset") == "localtime"
    assert {t.get("name") for t in x.findall("clock/timer")} >= {"rtc", "hypervclock"}
    hv = x.find("features/hyperv")
    assert {e.tag for e in hv} >= {"relaxed", "vapic", "spinlocks", "synic", "stimer", "vpindex"}
    cdroms = [d for d in x.findall("devices/disk") if d.get("device") == "cdrom"]
    assert cdroms[0].find("source").get("file") == "/usr/share/virtio-win/virtio-win.iso"
    assert cdroms[0].find("target").attrib == {"dev": "sdb", "bus": "sata"}
    assert [b.get("dev") for b in x.findall("os/boot")] == ["hd", "cdrom"]
    assert x.find("devices/tpm/backend").get("version") == "2.0"
    assert x.find("devices/graphics").get("listen") == "127.0.0.1"
    # and the canonical form keeps all of that, so drift there is seen
    c = normalise.canonical(render.render_domain(spec, "u"))
    assert "hypervclock" in c and "localtime" in c and 'firmware="efi"' in c


def test_overlay_volume_xml():
    spec = model.validate({"name": "v", "disks": [{"base": "/var/lib/azblink/images/debian.qcow2", "size": "20G"}]})
    v = dom(render.render_volume(spec["disks"][0], spec["disks"][0]["size"]))
    assert v.findtext("name") == "v-disk0.qcow2" and v.findtext("capacity") == str(20 * 2 ** 30)
    assert v.findtext("backingStore/path") == "/var/lib/azblink/images/debian.qcow2"
    assert v.find("target/format").get("type") == "qcow2"


def test_cloud_init_seed():
    spec = model.accelerate(model.validate(
        {"name": "deb1", "nics": [{"bridge": "br3"}], "disks": [{"size": "8G"}],
         "cloud_init": {"user": "ops", "ssh_authorized_keys": ["ssh-ed25519 AAAA ops@x"],
                        "address": "10.3.0.30/24", "gateway": "10.3.0.1", "dns": ["10.3.0.1"],
                        "password_hash": "$6$salt$hash"}}), LAB_DOMAIN_TYPES)
    files = render.render_cloud_init(spec, spec["nics"][0]["mac"])
    assert files["meta-data"] == "instance-id: deb1\nlocal-hostname: deb1\n"
    assert '  - name: "ops"' in files["user-data"] and '"ssh-ed25519 AAAA ops@x"' in files["user-data"]
    assert 'passwd: "$6$salt$hash"' in files["user-data"]
    assert "addresses: [10.3.0.30/24]" in files["network-config"]
    assert "via: 10.3.0.1" in files["network-config"]
    assert spec["nics"][0]["mac"] in files["network-config"]
    x = dom(render.render_domain(spec, "u"))
    seed = [d for d in x.findall("devices/disk") if d.get("device") == "cdrom"][0]
    assert seed.find("source").attrib == {"pool": "azb", "volume": "deb1-cidata.iso"}
    assert "$6$" not in render.render_domain(spec, "u")  # the hash never reaches the domain XML


def test_rate_limits_round_trip_through_metadata():
    spec = t1_spec(nics=[{"bridge": "br3", "rate_limit": {"inbound_kbit": 8000, "outbound_kbit": 2000}},
                         {"bridge": "br4"}])
    xml = render.render_domain(spec, "u")
    assert normalise.rate_limits_from_xml(xml) == {model.tap_name("t1", 0): {"inbound_kbit": 8000,
                                                                             "outbound_kbit": 2000}}


def test_the_lab_guest_is_emulated_with_the_hypervisors_cpu():
    x = dom(render.render_domain(t1_spec(), "u"))
    assert x.get("type") == "qemu" and x.find("cpu") is None


def test_host_model_cpu_round_trips_through_the_canonical_form():
    spec = model.accelerate(model.validate({"name": "t2", "cpu_mode": "host-model"}), ("qemu", "kvm"))
    xml = render.render_domain(spec, "u")
    assert dom(xml).find("cpu").attrib == {"mode": "host-model", "check": "partial"}
    c = normalise.canonical(xml)
    assert '<cpu mode="host-model"' in c and 'type="kvm"' in c
    # the same domain emulated, with libvirt's default model written in, differs from it
    emulated = normalise.canonical(render.render_domain(model.accelerate(model.validate({"name": "t2"}), ("qemu",)), "u")
                                   .replace("<os>", "<cpu mode='custom' match='exact'><model>qemu64</model></cpu><os>"))
    assert "<cpu" not in emulated and emulated != c
