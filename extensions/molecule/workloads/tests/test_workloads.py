"""Verify the workloads role on a live lab appliance by traffic.

The VMs (group_vars/all.yml): web1 in zone office (br3, 10.3.0.20, 8 Mbit/s to the guest, pinned to
CPU 1, emulator on CPU 0) and pos1 in zone shop (br1, 10.1.0.20, always on, health probe on TCP 80).
Every probe is bounded (counts, timeouts); the client namespace is the lab's own and is removed at
the end. The appliance restart test runs last.
"""
import json
import os
import re
import subprocess
import sys
import time

import pytest

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
sys.path.insert(0, REPO)
from tests.lab import scenario  # noqa: E402 (the repository is on the path only from here)
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
LAB_INVENTORY = os.path.join(EPHEMERAL, "lab-inventory.yml")
PY = os.path.join(REPO, ".venv/bin/python")
APPLIANCE = "lab-a5"
WEB1, POS1 = "10.3.0.20", "10.1.0.20"
RATE_KBIT = 8000
# A full TCP segment (MSS 1448 with timestamps) is a 1514-byte frame on the tap: Ethernet 14, IP 20,
# TCP 20 + 12 of options.
WIRE_PER_PAYLOAD = 1514.0 / 1448.0
CLIENT_NS = "azb-a5-c-h4c3"

RATECHECK = r'''
import socket, sys, threading, time
host, nbytes, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, 7), timeout=5)
s.settimeout(timeout)
chunk = b"x" * 65536
def send():
    left = nbytes
    while left > 0:
        left -= s.send(chunk[:min(left, len(chunk))])
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send, daemon=True).start()
got, first, got0, deadline = 0, None, 0, time.time() + timeout
while got < nbytes and time.time() < deadline:
    b = s.recv(262144)
    if not b:
        break
    if first is None:
        first, got0 = time.time(), len(b)
    got += len(b)
end = time.time()
print("%d %.3f" % (got - got0, end - first if first else 0))
'''


def figure(line):
    """Measured figures, printed and kept in build/reports for the closing notes."""
    print(line)
    os.makedirs(os.path.join(REPO, "build/reports"), exist_ok=True)
    with open(os.path.join(REPO, "build/reports/workloads-figures.txt"), "a") as f:
        f.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), line))


def env():
    e = dict(os.environ)
    e.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build/collections"))
    e["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    return e


def playbook(path, *extra, check=True):
    argv = [os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", LAB_INVENTORY,
            "-e", "azb_target=" + APPLIANCE] + list(extra) + [path]
    p = subprocess.run(argv, cwd=REPO, env=env(), capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    return p


def ns(*argv, timeout=30):
    return subprocess.run(["ip", "netns", "exec", CLIENT_NS] + list(argv), capture_output=True, text=True,
                          timeout=timeout, check=False)


def wait_for(fn, timeout, step=1.0):
    return scenario.wait_for(fn, timeout, step) or None


def status(ip, via_host=None):
    """The guest's /cgi-bin/status as a dict (from the client namespace, or the appliance)."""
    if via_host is not None:
        r = via_host.run("curl -s -m 3 http://%s/cgi-bin/status" % ip)
        out = r.stdout if r.rc == 0 else ""
    else:
        r = ns("curl", "-s", "-m", "3", "http://%s/cgi-bin/status" % ip)
        out = r.stdout if r.returncode == 0 else ""
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def client():
    """A client host in zone office (br3), as the lab builds them."""
    subprocess.run([PY, "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY, "client", "add", APPLIANCE,
                    "h4c3", "--bridge", "br3", "--address", "10.3.0.50/24", "--gateway", "10.3.0.1"],
                   cwd=REPO, check=True, timeout=60, capture_output=True)
    yield CLIENT_NS
    subprocess.run([PY, "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY, "client", "del", APPLIANCE,
                    "h4c3"], cwd=REPO, check=False, timeout=60, capture_output=True)


def test_vms_are_running_and_autostart(host):
    for name in ("web1", "pos1"):
        info = host.check_output("virsh dominfo %s" % name)
        assert re.search(r"State:\s+running", info), info
        assert re.search(r"Autostart:\s+enable", info), info


def test_guests_take_their_addresses_and_answer_a_client_in_an_allowed_zone(host, client):
    # office (trusted) -> office, and office -> shop (trusted may talk to restricted)
    for ip, name in ((WEB1, "web1"), (POS1, "pos1")):
        # A guest boots slowly on a loaded 2-core host: wait for it (bounded) before judging its network.
        t0 = time.time()
        up = wait_for(lambda: status(ip).get("hostname") == name, 180, step=2)
        assert up, "%s did not answer its status page within 180 s of the converge" % name
        figure("%s answered %.0f s after the converge" % (name, time.time() - t0))
        r = ns("ping", "-c", "3", "-W", "2", ip)
        assert r.returncode == 0, "%s did not answer ping from the office client: %s" % (name, r.stdout)
        st = status(ip)
        assert st.get("hostname") == name and st.get("ip", "").startswith(ip + "/"), st
    page = ns("curl", "-s", "-m", "5", "http://%s/" % WEB1).stdout
    assert "AZB-GUEST hostname=web1" in page


def test_nics_sit_on_their_zone_bridges(host):
    for name, bridge in (("web1", "br3"), ("pos1", "br1")):
        tap = host.check_output("virsh domiflist %s | awk '/bridge/{print $1}'" % name).strip()
        master = host.check_output("ip -j link show dev %s" % tap)
        assert json.loads(master)[0].get("master") == bridge


def test_overlay_disk_is_backed_by_the_base_image(host):
    info = host.check_output("qemu-img info -U --output=json /var/lib/azblink/images/pos1-disk0.qcow2")
    assert json.loads(info)["backing-filename"] == "/var/lib/azblink/base/lab-base.qcow2"
    st = status(POS1, via_host=host)
    assert st.get("disk") == "vda" and st.get("persistent") == "yes", st


def test_cloud_init_seed_is_a_cidata_iso_attached_to_the_vm(host):
    iso = "/var/lib/azblink/images/ci1-cidata.iso"
    assert "Volume id: cidata" in host.check_output("isoinfo -d -i %s" % iso)
    user = host.check_output("isoinfo -J -i %s -x /user-data" % iso)
    assert user.startswith("#cloud-config") and '- name: "ops"' in user and "ops@azb" in user
    net = host.check_output("isoinfo -J -i %s -x /network-config" % iso)
    assert "addresses: [10.3.0.30/24]" in net and "via: 10.3.0.1" in net
    xml = host.check_output("virsh dumpxml --inactive ci1")
    assert "volume='ci1-cidata.iso'" in xml and "device='cdrom'" in xml
    assert host.file(iso).mode == 0o600
    assert re.search(r"State:\s+shut off", host.check_output("virsh dominfo ci1"))


def test_vcpu_and_emulator_pinning(host):
    out = host.check_output("virsh vcpupin web1")
    assert re.search(r"^\s*0\s+1\s*$", out, re.M), out
    out = host.check_output("virsh emulatorpin web1")
    assert re.search(r"\*:\s+0\s*$", out, re.M), out


@pytest.mark.parametrize("vm,ip,direction,rate", [("web1", WEB1, "inbound", RATE_KBIT),
                                                  ("pos1", POS1, "outbound", 4000)])
def test_per_nic_rate_limit_lands_within_10_percent(host, vm, ip, direction, rate):
    """Bytes through the guest's TCP echo; one direction of the NIC is shaped (web1: to the guest with
    HTB on the tap; pos1: from the guest, tap ingress -> IFB -> HTB), the other is not."""
    host.check_output("cat > /tmp/azb-ratecheck.py <<'EOF'\n%s\nEOF" % RATECHECK)
    nbytes = rate * 1000 // 8 * 3  # about 3 s at the configured rate
    out = host.check_output("timeout 30 python3 /tmp/azb-ratecheck.py %s %d 20" % (ip, nbytes))
    got, secs = out.split()
    payload = int(got) * 8 / 1000.0 / float(secs)
    kbit = payload * WIRE_PER_PAYLOAD  # HTB counts whole frames: compare like with like
    figure("rate limit %s %s: configured %d kbit/s, measured %.0f kbit/s on the wire (%.0f kbit/s TCP payload), "
           "%.1f%% off" % (vm, direction, rate, kbit, payload, 100.0 * (kbit - rate) / rate))
    assert int(got) >= nbytes * 0.9, "transfer did not finish: %s" % out
    assert abs(kbit - rate) <= 0.10 * rate


def test_windows_desktop_profile_renders_xml_libvirt_accepts(host, tmp_path):
    """Windows guests cannot boot here: render one (state=rendered, no connection) from the profile
    and have libvirt's own schema check it on the appliance."""
    import yaml
    pb = tmp_path / "win.yml"
    pb.write_text(yaml.safe_dump([{
        "hosts": APPLIANCE, "gather_facts": False,
        "tasks": [{"name": "Render", "azblink.nfv.azb_vm": {
            "name": "desk1", "state": "rendered", "os_type": "windows", "vcpus": 2, "memory": 4096,
            "disks": [{"size": "64G", "bus": "sata"}], "nics": [{"bridge": "br3"}],
            "windows": {"tpm": True}}, "register": "r"},
            {"name": "Write", "ansible.builtin.copy": {"content": "{{ r.xml }}", "dest": "/tmp/desk1.xml",
                                                       "mode": "0600"}}]}]))
    playbook(str(pb))
    # libvirt's own RelaxNG schema (what virt-xml-validate uses; its xmllint is not installed here)
    out = host.run("python3 -c \"from lxml import etree; "
                   "etree.RelaxNG(file='/usr/share/libvirt/schemas/domain.rng')"
                   ".assertValid(etree.parse('/tmp/desk1.xml')); print('valid')\"")
    assert out.rc == 0 and out.stdout.strip() == "valid", out.stdout + out.stderr
    xml = host.check_output("cat /tmp/desk1.xml")
    assert "firmware=\"efi\"" in xml and "hypervclock" in xml and "localtime" in xml and "virtio-win.iso" in xml
    assert "desk1" not in host.check_output("virsh list --all --name"), "rendered must not define"


def test_vms_run_on_what_the_box_offers_and_kvm_it_lacks_is_refused(host, tmp_path):
    """The lab's appliances have no /dev/kvm: libvirt offers qemu only, so the role's VMs (virt_type
    auto) are emulated; a VM that insists on KVM is refused with its field path, before any change."""
    import yaml
    caps = host.check_output("virsh capabilities")
    offered = "kvm" if "<domain type='kvm'" in caps else "qemu"
    assert "<domain type='%s'>" % offered in host.check_output("virsh dumpxml ci1")
    if offered == "kvm":
        pytest.skip("this appliance's libvirt offers KVM (virsh capabilities): no refusal to see")
    before = host.check_output("virsh list --all --name")
    pb = tmp_path / "kvm.yml"
    pb.write_text(yaml.safe_dump([{
        "hosts": APPLIANCE, "gather_facts": False,
        "tasks": [{"name": "Ask for KVM", "azblink.nfv.azb_vm": {
            "vms": [{"name": "kvm1", "memory": 64, "virt_type": "kvm", "disks": [{"size": "16M"}],
                     "nics": [{"bridge": "br3"}]}]}}]}]))
    p = playbook(str(pb), check=False)
    assert p.returncode != 0
    assert "vms[0].virt_type: kvm is not available on this box (libvirt offers: qemu)" in p.stdout, p.stdout[-2000:]
    assert host.check_output("virsh list --all --name") == before
    assert "kvm1-disk0" not in host.check_output("virsh vol-list azb")


def test_base_image_cache_feeds_overlays(host):
    assert "lab-base-cached.qcow2" in host.check_output("virsh vol-list azb")
    info = host.check_output("qemu-img info -U --output=json /var/lib/azblink/images/ci1-disk0.qcow2")
    assert json.loads(info)["backing-filename"] == "/var/lib/azblink/images/lab-base-cached.qcow2"
    assert json.loads(info)["virtual-size"] == 32 * 2 ** 20


def test_bad_input_is_rejected_before_anything_changes(host, tmp_path):
    before = host.check_output("virsh list --all --name")
    pb = tmp_path / "bad.yml"
    pb.write_text("- hosts: %s\n  gather_facts: true\n  roles: [azblink.nfv.workloads]\n" % APPLIANCE)
    bad = {"azb_zones": [{"name": "office", "bridge": "br3", "role": "trusted"}],
           "azb_vms": [{"name": "bad1", "memory": 64, "nics": [{"zone": "mars"}], "disks": [{"size": "16M"}]},
                       {"name": "bad1", "profile": "gamer"}]}
    p = playbook(str(pb), "-e", json.dumps(bad), check=False)
    assert p.returncode != 0
    assert "azb_vms[0].nics[0].zone: unknown zone 'mars' (known: office)" in p.stdout
    assert "azb_vms[1].profile: unknown profile 'gamer'" in p.stdout
    assert host.check_output("virsh list --all --name") == before
    assert "bad1-disk0" not in host.check_output("virsh vol-list azb")


def test_memory_beyond_the_host_is_rejected_by_the_module(host):
    args = json.dumps({"name": "huge1", "memory": 1048576, "boot": {"kernel": "/var/lib/azblink/lab-guest/vmlinuz"},
                       "disks": [{"size": "16M"}], "nics": [{"bridge": "br3"}]})
    p = subprocess.run([os.path.join(REPO, ".venv/bin/ansible"), "-i", LAB_INVENTORY, APPLIANCE, "-m",
                        "azblink.nfv.azb_vm", "-a", args], cwd=REPO, env=env(), capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode != 0 and "memory: 1048576 MiB is more than the host has" in p.stdout, p.stdout
    assert "huge1" not in host.check_output("virsh list --all --name")
    assert "huge1-disk0" not in host.check_output("virsh vol-list azb")


def adhoc(args, *flags):
    p = subprocess.run([os.path.join(REPO, ".venv/bin/ansible"), "-i", LAB_INVENTORY, APPLIANCE, "-m",
                        "azblink.nfv.azb_vm", "-a", json.dumps(args)] + list(flags), cwd=REPO, env=env(),
                       capture_output=True, text=True, timeout=120, check=False)
    return p


def test_libvirtd_restarts_in_the_converge_for_its_changed_files_and_the_vms_keep_running(host):
    """libvirtd reads qemu.conf and its hooks at start: a converge that puts them back restarts it
    in the same module call (azb_files' restart_on), and the running VMs are not touched."""
    pid = host.check_output("systemctl show -p MainPID --value libvirtd")
    running = set(host.check_output("virsh list --name").split())
    host.run("echo '# drift' >> /etc/libvirt/qemu.conf; echo '# drift' >> /usr/local/lib/azblink/azb_vm_qemu_hook.py")
    pb = os.path.join(REPO, "extensions/molecule/workloads/converge.yml")
    p = playbook(pb, "--diff", "-e", "@" + os.path.join(REPO, "extensions/molecule/workloads/group_vars/all.yml"))
    assert p.stdout.count("libvirtd.service: restart") == 2, p.stdout[-3000:]  # the hypervisor's call, the workloads'
    assert "# drift" not in host.check_output("cat /etc/libvirt/qemu.conf /usr/local/lib/azblink/azb_vm_qemu_hook.py")
    assert host.check_output("systemctl show -p MainPID --value libvirtd") != pid, "libvirtd was not restarted"
    assert set(host.check_output("virsh list --name").split()) == running
    assert host.run("ping -c 1 -W 2 %s" % WEB1).rc == 0


def test_check_mode_changes_nothing_and_absent_keeps_disks_unless_purge(host):
    vm = {"name": "tmp1", "state": "present", "memory": 64, "disks": [{"size": "16M"}], "nics": [{"bridge": "br3"}],
          "boot": {"kernel": "/var/lib/azblink/lab-guest/vmlinuz"}}
    p = adhoc(vm, "--check", "--diff")
    assert p.returncode == 0 and "CHANGED" in p.stdout and "<name>tmp1</name>" in p.stdout, p.stdout
    assert "tmp1" not in host.check_output("virsh list --all --name")
    assert "tmp1-disk0" not in host.check_output("virsh vol-list azb")
    assert adhoc(vm).returncode == 0
    assert "tmp1" in host.check_output("virsh list --all --name")
    assert adhoc(dict(vm, state="absent")).returncode == 0
    assert "tmp1" not in host.check_output("virsh list --all --name")
    assert "tmp1-disk0.qcow2" in host.check_output("virsh vol-list azb"), "absent without purge deleted a disk"
    assert adhoc(vm).returncode == 0  # defined again on its kept disk
    assert adhoc(dict(vm, state="absent", purge=True)).returncode == 0
    assert "tmp1-disk0.qcow2" not in host.check_output("virsh vol-list azb")
    again = adhoc(dict(vm, state="absent", purge=True))
    assert again.returncode == 0 and "SUCCESS" in again.stdout, again.stdout  # nothing left: no change


def test_snapshot_revert_undoes_a_change_inside_the_guest(host, client):
    assert ns("curl", "-s", "-m", "5", "http://%s/cgi-bin/set-marker?kept" % WEB1).stdout.startswith("OK")
    playbook(os.path.join(REPO, "playbooks/snapshot.yml"), "-e", "azb_snapshot_name=verify1")
    assert ns("curl", "-s", "-m", "5", "http://%s/cgi-bin/set-marker?lost" % WEB1).stdout.startswith("OK")
    assert ns("curl", "-s", "-m", "5", "http://%s/cgi-bin/marker" % WEB1).stdout.strip() == "lost"
    playbook(os.path.join(REPO, "playbooks/rollback.yml"), "-e", "azb_snapshot_name=verify1")
    t0 = time.time()

    def marker_now():
        return ns("curl", "-s", "-m", "3", "http://%s/cgi-bin/marker" % WEB1).stdout.strip()
    marker = wait_for(marker_now, 30)
    assert marker == "kept", "after the revert the guest says %r" % marker
    figure("snapshot revert: marker 'kept' back %.1f s after rollback.yml returned" % (time.time() - t0))


def test_snapshot_before_change_keeps_the_old_state(host):
    """A definition change with azb_workloads_snapshot_before_change: snapshot first, then define."""
    import yaml
    with open(os.path.join(REPO, "extensions/molecule/workloads/group_vars/all.yml")) as f:
        gv = yaml.safe_load(f)
    vms = gv["azb_vms"]
    vms[0]["memory"] = 176
    before = host.check_output("virsh snapshot-list web1 --name")
    pb = os.path.join(REPO, "extensions/molecule/workloads/converge.yml")
    p = playbook(pb, "-e", "@" + os.path.join(REPO, "extensions/molecule/workloads/group_vars/all.yml"),
                 "-e", json.dumps({"azb_vms": vms, "azb_workloads_snapshot_before_change": True}), check=False)
    assert p.returncode == 0, p.stdout[-3000:]
    after = host.check_output("virsh snapshot-list web1 --name")
    new = set(after.split()) - set(before.split())
    assert len(new) == 1 and new.pop().startswith("azb-pre-"), (before, after)
    assert "<memory unit='KiB'>180224</memory>" in host.check_output("virsh dumpxml --inactive web1")
    # running VM keeps its memory until its next start (pending_restart), and still answers
    assert "<memory unit='KiB'>163840</memory>" in host.check_output("virsh dumpxml web1")
    assert host.run("ping -c 1 -W 2 %s" % WEB1).rc == 0


def test_hung_always_on_vm_is_restarted_by_the_health_probe(host, client):
    before = status(POS1)
    assert before.get("boot_id"), "pos1 does not answer before the test"
    t0 = time.time()
    assert "OK hanging" in ns("curl", "-s", "-m", "5", "http://%s/cgi-bin/hang" % POS1).stdout
    # The guest stops answering within a few seconds of the hang (bounded poll, not a fixed wait).
    assert wait_for(lambda: ns("ping", "-c", "1", "-W", "1", POS1).returncode != 0, 15, step=0.5), \
        "pos1 still answers 15 s after the hang: it did not hang"

    def rebooted():
        st = status(POS1)
        return st if st.get("boot_id") not in (None, before["boot_id"]) else None
    after = wait_for(rebooted, 120, step=2)
    assert after, "pos1 was not restarted within 120 s"
    figure("health probe: hung pos1 answered again after %.0f s (new boot_id)" % (time.time() - t0))
    log = host.check_output("cat /var/log/azblink/vm-health.log")
    assert re.search(r"pos1 hung \(\d+ failed tcp probes of 10\.1\.0\.20\): reset ok", log), log
    assert "pos1 hung" in host.check_output("journalctl -u azb-vm-health.service --no-pager -n 200")


def test_autostart_brings_the_vms_back_after_an_appliance_restart(host):
    subprocess.run([PY, "-m", "tests.lab.azblab", "--inventory", LAB_INVENTORY, "restart", APPLIANCE],
                   cwd=REPO, check=True, timeout=300, capture_output=True)
    t0 = time.time()

    def up():
        r = host.run("systemctl is-system-running")
        return r.stdout.strip() in ("running", "degraded")
    assert wait_for(up, 90, step=2), "the appliance did not come back"
    for ip in (WEB1, POS1):
        assert wait_for(lambda ip=ip: host.run("ping -c 1 -W 1 %s" % ip).rc == 0, 120, step=1), \
            "%s did not answer after the restart" % ip
    figure("appliance restart: both VMs answered ping %.0f s after the appliance was back" % (time.time() - t0))
    assert status(WEB1, via_host=host).get("hostname") == "web1"
    tap = host.check_output("virsh domiflist web1 | awk '/bridge/{print $1}'").strip()
    assert "rate 8Mbit" in host.check_output("tc class show dev %s" % tap), "hook did not shape the tap at boot"
    tap = host.check_output("virsh domiflist pos1 | awk '/bridge/{print $1}'").strip()
    ifb = "ai" + tap[2:]
    assert "rate 4Mbit" in host.check_output("tc class show dev %s" % ifb), "hook did not shape pos1's IFB"
    assert "Redirect to device %s" % ifb in host.check_output("tc filter show dev %s parent ffff:" % tap)
