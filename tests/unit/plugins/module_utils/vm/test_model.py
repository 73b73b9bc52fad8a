"""The VM model: bad input is refused with the field path, before anything on the box changes."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model

KERNEL = {"kernel": "/var/lib/azblink/lab-guest/vmlinuz", "initrd": "/var/lib/azblink/lab-guest/initrd.img",
          "cmdline": "console=ttyS0"}


def base(**kw):
    p = {"name": "web1", "memory": 192, "boot": dict(KERNEL), "disks": [{"size": "16M"}],
         "nics": [{"bridge": "br3"}]}
    p.update(kw)
    return p


BAD = [
    ("no name", {"name": None}, "name: is required"),
    ("bad name", {"name": "web 1"}, "name: letters, digits"),
    ("bad state", {"state": "paused"}, "state: must be one of"),
    ("zero vcpus", {"vcpus": 0}, "vcpus: must be >= 1"),
    ("memory not int", {"memory": "lots"}, "memory: must be an integer"),
    ("tiny memory", {"memory": 8}, "memory: must be >= 32"),
    ("relative kernel", {"boot": {"kernel": "vmlinuz"}}, "boot.kernel: must be an absolute path"),
    ("kernel missing", {"boot": {"cmdline": "x"}}, "boot.kernel: direct kernel boot needs a kernel"),
    ("bad mac", {"nics": [{"bridge": "br3", "mac": "52:54:00:zz:00:01"}]}, "nics[0].mac: not a MAC address"),
    ("multicast mac", {"nics": [{"bridge": "br3", "mac": "01:00:5e:00:00:01"}]}, "nics[0].mac: 01:00:5e:00:00:01 is a multicast"),
    ("duplicate mac", {"nics": [{"bridge": "br3", "mac": "52:54:00:00:00:01"},
                                {"bridge": "br4", "mac": "52:54:00:00:00:01"}]},
     "nics[1].mac: duplicate MAC 52:54:00:00:00:01 (also nics[0])"),
    ("nic without bridge", {"nics": [{"mac": "52:54:00:00:00:01"}]}, "nics[0].bridge: is required"),
    ("bridge name too long", {"nics": [{"bridge": "a-very-long-bridge-name"}]}, "nics[0].bridge: not a valid interface"),
    ("rate unknown key", {"nics": [{"bridge": "br3", "rate_limit": {"mbit": 5}}]}, "nics[0].rate_limit.mbit: unknown key"),
    ("rate too low", {"nics": [{"bridge": "br3", "rate_limit": {"inbound_kbit": 1}}]}, "nics[0].rate_limit.inbound_kbit: must be >= 8"),
    ("rate burst only", {"nics": [{"bridge": "br3", "rate_limit": {"burst_kb": 10}}]}, "nics[0].rate_limit: give inbound_kbit"),
    ("disk no source", {"disks": [{"bus": "virtio"}]}, "disks[0]: give a size"),
    ("disk bad size", {"disks": [{"size": "big"}]}, "disks[0].size: not a size"),
    ("disk two sources", {"disks": [{"base": "/b.qcow2", "path": "/x.img"}]}, "disks[0]: give one of base, volume, path"),
    ("overlay raw", {"disks": [{"base": "/b.qcow2", "format": "raw"}]}, "disks[0].format: a copy-on-write overlay must be qcow2"),
    ("cdrom on virtio", {"disks": [{"device": "cdrom", "path": "/x.iso", "bus": "virtio"}]}, "disks[0].bus: a cdrom cannot be on the virtio bus"),
    ("cdrom without iso", {"disks": [{"device": "cdrom"}]}, "disks[0].path: a cdrom needs a path"),
    ("iotune unknown", {"disks": [{"size": "1G", "iotune": {"iops": 5}}]}, "disks[0].iotune.iops: unknown limit"),
    ("iotune total+read", {"disks": [{"size": "1G", "iotune": {"total_iops_sec": 5, "read_iops_sec": 5}}]},
     "disks[0].iotune: total_iops_sec cannot be combined"),
    ("same volume twice", {"disks": [{"size": "1G", "name": "x.qcow2"}, {"size": "1G", "name": "x.qcow2"}]},
     "disks[1].name: volume x.qcow2 is also used by disks[0]"),
    ("bad cpuset", {"vcpu_pins": ["one"]}, "vcpu_pins[0]: not a cpuset"),
    ("reversed cpuset", {"vcpu_pins": ["3-1"]}, "vcpu_pins[0]: range 3-1 is reversed"),
    ("more pins than vcpus", {"vcpu_pins": ["0", "1"]}, "vcpu_pins: 2 pins for 1 vCPUs"),
    ("bad emulator pin", {"emulator_pin": "x"}, "emulator_pin: not a cpuset"),
    ("watchdog action", {"watchdog": {"action": "explode"}}, "watchdog.action: must be one of"),
    ("windows bios", {"os_type": "windows", "firmware": "bios", "boot": None}, "firmware: Windows guests are rendered for UEFI only"),
    ("windows kernel boot", {"os_type": "windows"}, "boot: direct kernel boot is for Linux guests"),
    ("windows opts on linux", {"windows": {"hyperv": True}}, "windows: only for os_type: windows"),
    ("cloud-init bad key", {"cloud_init": {"ssh_authorized_keys": ["not a key"]}}, "cloud_init.ssh_authorized_keys[0]: not an SSH public key"),
    ("cloud-init bad address", {"cloud_init": {"address": "10.3.0.5"}}, "cloud_init.address: must be an IPv4 CIDR"),
    ("snapshot without name", {"snapshot": {"action": "revert"}}, "snapshot.name: is required for revert"),
    ("snapshot keep 0", {"snapshot": {"name": "s1", "keep": 0}}, "snapshot.keep: must be >= 1"),
    ("bad uuid", {"uuid": "nope"}, "uuid: not a UUID"),
]


@pytest.mark.parametrize("label,override,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(label, override, message):
    with pytest.raises(model.SpecError) as exc:
        model.validate(base(**override))
    assert message in str(exc.value), str(exc.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(model.SpecError) as exc:
        model.validate(base(vcpus=0, nics=[{"bridge": "br3", "mac": "bad"}]))
    paths = [err[0] for err in exc.value.errors]
    assert paths == ["vcpus", "nics[0].mac"]


HOST = {"memory_mib": 2048, "cpus": 2}
BAD_HOST = [
    ({"memory": 4096}, "memory: 4096 MiB is more than the host has (2048 MiB)"),
    ({"vcpus": 2, "vcpu_pins": ["0", "2-3"]}, "vcpu_pins[1]: CPU 2,3 does not exist (host CPUs 0-1)"),
    ({"emulator_pin": "5"}, "emulator_pin: CPU 5 does not exist (host CPUs 0-1)"),
]


@pytest.mark.parametrize("override,message", BAD_HOST)
def test_host_limits_are_checked_before_changes(override, message):
    spec = model.validate(base(**override))
    with pytest.raises(model.SpecError) as exc:
        model.check_host(spec, HOST)
    assert message in str(exc.value)


def test_good_input_is_normalised():
    spec = model.validate(base(vcpus=2, vcpu_pins=["0", "1"], emulator_pin="0-1",
                               nics=[{"bridge": "br3", "mac": "52:54:00:AA:bb:01"}, {"bridge": "br4"}]))
    model.check_host(spec, HOST)
    assert spec["nics"][0]["mac"] == "52:54:00:aa:bb:01"
    assert spec["nics"][1]["mac"] == model.derive_mac("web1", 1)
    assert spec["disks"][0] == {"device": "disk", "bus": "virtio", "format": "qcow2", "size": 16 * 1024 ** 2,
                                "readonly": False, "pool": "azb", "iotune": {}, "kind": "new",
                                "volume": "web1-disk0.qcow2", "target": "vda"}
    assert spec["state"] == "running" and spec["autostart"] is False


def test_derived_identity_is_stable_and_distinct():
    assert model.derive_mac("web1", 0) == model.derive_mac("web1", 0)
    assert model.derive_mac("web1", 0) != model.derive_mac("web1", 1)
    assert model.derive_mac("web1", 0) != model.derive_mac("web2", 0)
    assert model.derive_mac("web1", 0).startswith("52:54:00:")
    assert model.derive_uuid("web1") == model.derive_uuid("web1") != model.derive_uuid("web2")
    tap = model.tap_name("a-very-long-vm-name-indeed", 11)
    assert len(tap) <= 15 and tap.startswith("az")


@pytest.mark.parametrize("text,expected", [("16M", 16 * 2 ** 20), ("20G", 20 * 2 ** 30), ("1.5T", int(1.5 * 2 ** 40)),
                                           ("512MiB", 512 * 2 ** 20), (3, 3 * 2 ** 30)])
def test_sizes(text, expected):
    assert model.parse_size(text) == expected


def test_disk_targets_per_bus():
    spec = model.validate(base(disks=[{"size": "1G"}, {"size": "1G", "bus": "sata"}, {"size": "1G"},
                                      {"device": "cdrom", "path": "/x.iso"}]))
    assert [d["target"] for d in spec["disks"]] == ["vda", "sda", "vdb", "sdb"]


@pytest.mark.parametrize("virt_type,cpu_mode,offered,domain_type,cpu", [
    ("auto", "auto", ["qemu", "kvm"], "kvm", "host-passthrough"),   # a production box
    ("auto", "auto", ["qemu"], "qemu", None),                        # no /dev/kvm: emulated, default CPU model
    ("qemu", "auto", ["qemu", "kvm"], "qemu", None),                 # asked for TCG though KVM is there
    ("auto", "host-model", ["qemu", "kvm"], "kvm", "host-model"),
    ("auto", "default", ["qemu", "kvm"], "kvm", None),
    ("auto", "auto", None, "kvm", "host-passthrough"),               # rendered: no box to ask
])
def test_the_domain_type_and_cpu_follow_what_the_box_offers(virt_type, cpu_mode, offered, domain_type, cpu):
    spec = model.accelerate(model.validate(base(virt_type=virt_type, cpu_mode=cpu_mode)), offered)
    assert (spec["domain_type"], spec["cpu"]) == (domain_type, cpu)


@pytest.mark.parametrize("override,offered,message", [
    ({"virt_type": "kvm"}, ["qemu"], "virt_type: kvm is not available on this box (libvirt offers: qemu)"),
    ({"cpu_mode": "host-passthrough"}, ["qemu"], "cpu_mode: host-passthrough needs KVM"),
])
def test_what_the_box_lacks_is_refused_before_changes(override, offered, message):
    with pytest.raises(model.SpecError) as exc:
        model.accelerate(model.validate(base(**override)), offered)
    assert message in str(exc.value)


def test_host_passthrough_under_tcg_is_refused_even_where_kvm_is_offered():
    with pytest.raises(model.SpecError) as exc:
        model.accelerate(model.validate(base(virt_type="qemu", cpu_mode="host-passthrough")), ["qemu", "kvm"])
    assert "cpu_mode: host-passthrough needs KVM (virt_type kvm)" in str(exc.value)
