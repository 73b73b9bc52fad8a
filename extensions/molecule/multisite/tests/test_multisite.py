"""Verify the multisite scenario by traffic: two sites over WireGuard, road warriors over WireGuard
and OpenVPN, a revoked certificate refused, IPsec probed, a --limit run, and a reboot.

Every probe is bounded (ping -c/-W, timeouts, tcpdump -c); every namespace and process made here is
removed again by name / PID.
"""
import os
import re
import signal
import subprocess
import sys
import time

import importlib.util

import pytest
import testinfra

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
sys.path.insert(0, REPO)
from tests.lab import capture, roadwarrior  # noqa: E402 (the repository is on the path only from here)
EPH = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", os.path.join(EPH, "inventory", "ansible_inventory.yml"))
PY = os.path.join(REPO, ".venv/bin/python")
LAB = [PY, "-m", "tests.lab.azblab", "--inventory", os.path.join(EPH, "lab-inventory.yml")]
EXPORT = os.path.join(EPH, "vpn-export", "lab-a7")
A_CLIENT, B_CLIENT = "10.13.0.50", "10.23.0.50"


def _capabilities():
    spec = importlib.util.spec_from_file_location(
        "azb_capabilities_probe", os.path.join(REPO, "plugins/module_utils/capabilities.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sh(cmd, timeout=30, check=True):
    res = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, timeout=timeout,
                         cwd=REPO, check=False)
    if check and res.returncode != 0:
        raise AssertionError("%s -> %d\n%s%s" % (cmd, res.returncode, res.stdout, res.stderr))
    return res


def playbook(*args, timeout=300):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    return subprocess.run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", INVENTORY] + list(args),
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO, check=False)


def appliance(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=INVENTORY)


@pytest.fixture(scope="module")
def site_a():
    return appliance("lab-a7")


@pytest.fixture(scope="module")
def site_b():
    return appliance("lab-a8")


@pytest.fixture(scope="module")
def clients():
    """A client in each site's br3 (netns azb-a7-c-c3 and azb-a8-c-c3)."""
    made = []
    for name, addr, gw in (("lab-a7", A_CLIENT, "10.13.0.1"), ("lab-a8", B_CLIENT, "10.23.0.1")):
        sh(LAB + ["client", "add", name, "c3", "--bridge", "br3", "--address", addr + "/24", "--gateway", gw],
           timeout=60)
        made.append(name)
    wait_for_gateways()
    yield {"a": "azb-a7-c-c3", "b": "azb-a8-c-c3"}
    for name in made:
        sh(LAB + ["client", "del", name, "c3"], timeout=60, check=False)


def wait_for_gateways(seconds=15):
    """Bounded: each client answers its own site's gateway (bridge port up, addresses in place)."""
    for ns, gw in (("azb-a7-c-c3", "10.13.0.1"), ("azb-a8-c-c3", "10.23.0.1")):
        deadline = time.time() + seconds
        while " 0% packet loss" not in ping(ns, gw, count=1).stdout:
            assert time.time() < deadline, "client %s cannot reach its gateway %s" % (ns, gw)
            time.sleep(0.5)


def ping(netns, addr, count=3):
    return sh("ip netns exec %s ping -c %d -W 1 -i 0.3 %s" % (netns, count, addr), timeout=count + 10,
              check=False)


def test_tunnel_units_run_and_start_at_boot(site_a, site_b):
    for host, units in ((site_a, ["wgs2s", "wgrw", "ovpn", "ips"]), (site_b, ["wgs2s", "ips"])):
        for u in units:
            svc = host.service("azb-vpn-%s" % u)
            assert svc.is_running, u
            assert svc.is_enabled, u


def test_keys_are_private(site_a):
    for path in ["/etc/azblink/vpn/wgs2s/private.key", "/etc/azblink/vpn/wgrw/clients/rw1.key",
                 "/etc/azblink/vpn/ovpn/tls-crypt.key", "/etc/azblink/pki/private/lab-a7.key",
                 "/etc/azblink/vpn/wgs2s/wg.conf"]:
        f = site_a.file(path)
        assert f.exists and f.mode == 0o600, path


def test_wireguard_go_is_used_where_the_kernel_has_no_wireguard(site_a):
    capabilities = _capabilities()
    probe = site_a.run(" ".join("'%s'" % a for a in capabilities.probe_command("wireguard_kernel")))
    procs = site_a.run("pgrep -a wireguard-go").stdout
    if probe.rc == 0:
        assert "wgs2s" not in procs
    else:
        assert "wireguard-go wgs2s" in procs and "wireguard-go wgrw" in procs


def test_tunnel_routes_are_in_its_routing_table(site_a):
    table = site_a.check_output("ip route show table 200")
    assert "10.23.0.0/24 dev wgs2s" in table and "10.99.0.0/24 dev wgs2s" in table


def test_site_a_client_reaches_site_b_client_through_wireguard(site_a, clients):
    before = site_a.check_output("wg show wgs2s transfer")
    ping(clients["a"], B_CLIENT, count=1)  # warm-up: ARP on both bridges, a fresh handshake if due
    res = ping(clients["a"], B_CLIENT)
    assert " 0% packet loss" in res.stdout, res.stdout
    res = ping(clients["b"], A_CLIENT)
    assert " 0% packet loss" in res.stdout, res.stdout
    after = site_a.check_output("wg show wgs2s transfer")
    assert before != after, "the pings did not go through wgs2s"


def _declared_tunnel_ports():
    """UDP ports of the tunnels this scenario declares (IPsec: IKE 500 and NAT-T 4500)."""
    tunnels = appliance("lab-a7").ansible.get_variables()["azb_vpn_tunnels"]
    ports = set()
    for t in tunnels:
        ports |= {500, 4500} if t["type"] == "ipsec" else {int(t["port"])}
    return ports


def _start_capture(netns, ifname, seconds):
    """tcpdump for a bounded time; returns once it listens (it says so on stderr), not after a guess."""
    return capture.start(netns, ifname, "ip", seconds, 500)


def test_isp_link_carries_only_the_declared_tunnels(clients):
    """While the sites talk, site A's ISP link carries only UDP between the two sites' WAN addresses
    on the declared tunnels' ports (the sites' own IKE keepalives included) and no inner address."""
    ends = {"192.0.2.58", "198.51.100.66"}
    ports = _declared_tunnel_ports()
    cap = _start_capture("azb-a7-isp1", "cust0", 8)
    try:
        ping(clients["a"], B_CLIENT, count=6)
        out, _err = cap.communicate(timeout=20)
    finally:
        if cap.poll() is None:
            cap.send_signal(signal.SIGTERM)
            cap.wait(timeout=5)
    lines = [x for x in out.splitlines() if " IP " in x]
    udp = re.compile(r" IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): ")
    wireguard = [x for x in lines if ".51820 > " in x and ": UDP" in x]
    others = []
    for x in lines:
        m = udp.search(x)
        ok = m and {m.group(1), m.group(3)} == ends and int(m.group(2)) in ports and int(m.group(4)) in ports
        if not ok:
            others.append(x)
    assert len(wireguard) >= 6, "the pings did not cross the link inside the tunnel:\n" + out
    assert not others, "traffic other than the declared tunnels on the ISP link:\n" + "\n".join(others)
    assert B_CLIENT not in out and A_CLIENT not in out


@pytest.fixture
def rw_netns():
    """A road-warrior namespace on the internet (bridge `core` of azb-inet), 203.0.113.20x/24."""
    made = []

    def make(name, addr):
        made.append(("azb-rw-%s" % name, "rw%s" % name))
        return roadwarrior.netns_up(made[-1][0], addr, made[-1][1])
    yield make
    for ns, veth in made:
        roadwarrior.netns_down(ns, veth)


def test_road_warrior_with_the_exported_wireguard_config_reaches_site_a(clients, rw_netns):
    conf = os.path.join(EXPORT, "rw1.conf")
    png = os.path.join(EXPORT, "rw1.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", "the QR code is not a PNG"
    assert oct(os.stat(conf).st_mode & 0o777) == "0o600"
    ns = rw_netns("wg", "203.0.113.201")
    proc = roadwarrior.wireguard_session(ns, conf, EPH)
    try:
        res = ping(ns, A_CLIENT)
        assert " 0% packet loss" in res.stdout, res.stdout
    finally:
        roadwarrior.stop(proc)


def test_limit_run_keeps_the_peer_outside_the_play_and_changes_nothing(site_a):
    res = playbook("--limit", "lab-a7", os.path.join(REPO, "extensions/molecule/multisite/converge.yml"))
    assert res.returncode == 0, res.stdout[-3000:]
    # the pki and vpn roles change nothing (other roles' own idempotence is their scenarios' business)
    blocks = re.split(r"\nTASK \[", res.stdout)
    changed = [b.splitlines()[0] for b in blocks if re.match(r"azblink\.nfv\.(pki|vpn) ", b) and "\nchanged:" in b]
    assert not changed, changed
    peers = site_a.check_output("wg show wgs2s peers")
    b_key = appliance("lab-a8").check_output("wg show wgs2s public-key")
    assert b_key in peers


# The OpenVPN client session and its stop: shared with the observability scenario and the demo.
openvpn_session, stop = roadwarrior.openvpn_session, roadwarrior.stop


def test_openvpn_bundle_reaches_site_a_and_a_revoked_certificate_is_refused(site_a, clients, rw_netns):
    ns = rw_netns("ov", "203.0.113.202")
    alice = os.path.join(EXPORT, "alice.ovpn")
    mallory = os.path.join(EXPORT, "mallory.ovpn")
    assert "<key>" in open(alice).read()
    # alice: connects, gets her static address, reaches site A's br3
    proc, log, ok = openvpn_session(ns, alice)
    try:
        assert ok, open(log).read()[-2000:]
        assert "10.97.0.10" in sh("ip -n %s -br address show azbrwtun0" % ns).stdout
        res = ping(ns, A_CLIENT)
        assert " 0% packet loss" in res.stdout, res.stdout
    finally:
        stop(proc)
    # mallory: accepted while valid (so it is the revocation that refuses her later)
    proc, log, ok = openvpn_session(ns, mallory)
    stop(proc)
    assert ok, open(log).read()[-2000:]
    # revoke mallory in inventory terms and converge the CA and the VPNs again
    res = playbook(os.path.join(REPO, "extensions/molecule/multisite/revoke.yml"), timeout=240)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert not site_a.file("/etc/azblink/pki/certs/mallory.crt").exists
    since = site_a.check_output("date '+%Y-%m-%d %H:%M:%S'")
    proc, log, ok = openvpn_session(ns, mallory, wait=12)
    stop(proc)
    assert not ok, "a revoked certificate was accepted"
    journal = ""
    for dummy_i in range(10):
        journal = site_a.check_output("journalctl -u azb-vpn-ovpn --since '%s' --no-pager" % since)
        if "certificate revoked" in journal:
            break
        time.sleep(0.5)
    assert "certificate revoked" in journal, journal[-2000:]


def ipsec_counters(host):
    out = host.check_output("swanctl --list-sas --ike ips")
    return out, [int(n) for n in re.findall(r"(\d+) packets", out)]


def test_ipsec_between_the_sites_kernel_esp_or_strongswan_userspace(site_a):
    """IPsec lab4 <-> lab4 with certificates. Kernel ESP where the kernel has it (XFRM interface);
    otherwise strongSwan's userspace kernel-libipsec (ESP in UDP 4500 over a TUN device)."""
    capabilities = _capabilities()
    probe = site_a.run(" ".join("'%s'" % a for a in capabilities.probe_command("ipsec_esp")))
    if probe.rc != 0:
        print("kernel IPsec ESP (xfrm) unavailable (%s): IPsec runs on strongSwan's kernel-libipsec"
              % (probe.stderr.strip() or "exit %d" % probe.rc))
    deadline = time.time() + 20  # bounded: IKE may still be negotiating after a converge or reload
    while " 0% packet loss" not in site_a.run("ping -c 1 -W 1 -I 10.14.0.1 10.24.0.1").stdout:
        assert time.time() < deadline, site_a.run("swanctl --list-sas").stdout
        time.sleep(1)
    out, before = ipsec_counters(site_a)
    assert "ESTABLISHED" in out and "INSTALLED" in out, out
    assert ("TUNNEL-in-UDP" in out) == (probe.rc != 0), out
    assert "local  'CN=lab-a7'" in out and "remote 'CN=lab-a8'" in out
    res = site_a.run("ping -c 3 -W 1 -I 10.14.0.1 10.24.0.1")
    assert " 0% packet loss" in res.stdout, res.stdout
    out, after = ipsec_counters(site_a)
    assert sum(after) >= sum(before) + 6, out  # 3 out + 3 in, through the CHILD_SA


def test_tunnel_comes_back_after_a_reboot_without_ansible(site_a, clients):
    sh(LAB + ["restart", "lab-a7"], timeout=300)
    start = time.time()
    # the lab plugs clients into the appliance's namespace: plug site A's in again after the reboot
    sh(LAB + ["client", "del", "lab-a7", "c3"], timeout=60, check=False)
    sh(LAB + ["client", "add", "lab-a7", "c3", "--bridge", "br3", "--address", A_CLIENT + "/24",
              "--gateway", "10.13.0.1"], timeout=60)
    ok = False
    while time.time() - start < 90:
        if " 0% packet loss" in ping(clients["a"], B_CLIENT, count=1).stdout:
            ok = True
            break
        time.sleep(1)
    assert ok, "site A's client cannot reach site B's 90 s after the reboot"
    a = appliance("lab-a7")
    for u in ["wgs2s", "wgrw", "ovpn", "ips"]:
        assert a.service("azb-vpn-%s" % u).is_running, u
    deadline = time.time() + 30
    while " 0% packet loss" not in a.run("ping -c 1 -W 1 -I 10.14.0.1 10.24.0.1").stdout:
        assert time.time() < deadline, "IPsec did not come back within 30 s of the WireGuard tunnel"
        time.sleep(1)
    print("tunnel back %.1f s after the restart command returned" % (time.time() - start))
