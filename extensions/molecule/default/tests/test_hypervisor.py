"""Verify the hypervisor role on a live lab appliance by using what it built.

Each check asks the running system (libvirtd over its socket, the kernel, a booted guest), never
only a file the role wrote. The last test reboots the appliance and checks it all came back.
"""
import os
import subprocess
import time

import pytest

GUEST_DIR = "/var/lib/azblink/lab-guest"
PROBE_BRIDGE = "azbprobe0"
PROBE_HOST_ADDR = "198.18.201.1/30"
PROBE_GUEST_ADDR = "198.18.201.2"
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())


def test_libvirtd_is_running_and_enabled(host):
    svc = host.service("libvirtd")
    assert svc.is_running, "libvirtd is not running"
    assert svc.is_enabled, "libvirtd will not start at boot"


def test_libvirtd_answers_on_its_socket(host):
    out = host.check_output("virsh --connect qemu:///system version --daemon")
    assert "Running against daemon" in out


def test_storage_pool_is_running_and_autostarts(host):
    info = host.check_output("virsh --connect qemu:///system pool-info azb")
    assert "State:          running" in info
    assert "Autostart:      yes" in info


def test_forwarding_is_on_in_the_running_kernel(host):
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 2


@pytest.fixture
def probe_bridge(host):
    host.run(f"ip link del {PROBE_BRIDGE}")
    host.check_output(f"ip link add {PROBE_BRIDGE} type bridge && "
                      f"ip addr add {PROBE_HOST_ADDR} dev {PROBE_BRIDGE} && "
                      f"ip link set {PROBE_BRIDGE} up")
    yield PROBE_BRIDGE
    host.run("virsh --connect qemu:///system destroy azb-probe-guest")
    host.run(f"ip link del {PROBE_BRIDGE}")


def test_lab_guest_boots_under_libvirt_and_answers_ping(host, probe_bridge):
    env = host.file(f"{GUEST_DIR}/guest.env")
    assert env.exists, "the lab guest image is not mounted into the appliance"
    xml = f"""<domain type='qemu'>
  <name>azb-probe-guest</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{GUEST_DIR}/vmlinuz</kernel><initrd>{GUEST_DIR}/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet mitigations=off azb.nodisk azb.nowatchdog azb.ip={PROBE_GUEST_ADDR}/30</cmdline>
  </os>
  <devices>
    <interface type='bridge'><source bridge='{probe_bridge}'/><model type='virtio'/></interface>
    <serial type='pty'/>
  </devices>
</domain>"""
    host.check_output(f"cat > /tmp/azb-probe-guest.xml <<'EOF'\n{xml}\nEOF")
    host.check_output("virsh --connect qemu:///system create /tmp/azb-probe-guest.xml")
    deadline = time.time() + 90
    answered = False
    while time.time() < deadline:
        if host.run(f"ping -c 1 -W 1 {PROBE_GUEST_ADDR}").rc == 0:
            answered = True
            break
        time.sleep(1)
    assert answered, "the lab guest booted by libvirt did not answer ping within 90 s"
    page = host.check_output(f"curl -s --max-time 5 http://{PROBE_GUEST_ADDR}/")
    assert "azb" in page.lower()


def test_everything_is_back_after_a_reboot(host):
    """Reboot the appliance (its container) and check, without Ansible, that the role's work stands."""
    name = host.check_output("hostname")
    subprocess.run([os.path.join(REPO, ".venv/bin/python"), "-m", "tests.lab.azblab", "restart", name],
                   cwd=REPO, check=True, timeout=300)
    deadline = time.time() + 60
    while time.time() < deadline:
        state = host.run("systemctl is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    assert host.service("libvirtd").is_running
    assert host.sysctl("net.ipv4.ip_forward") == 1, "forwarding was not restored at boot"
    info = host.check_output("virsh --connect qemu:///system pool-info azb")
    assert "State:          running" in info, "storage pool did not autostart"
