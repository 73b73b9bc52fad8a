"""The whole reference site, verified by traffic across the seams between the roles.

lab-a10 is ACME's HQ (VM ``erp`` 10.31.3.20 in its office zone), lab-a11 a branch (VM ``pos``
10.32.3.20, bound to the site-to-site tunnel by a fail-closed route policy). Both come from
inventories/example's group_vars; the VMs are the lab guest. Commands inside a VM go through its
serial console (guest_console.py). Every probe is bounded (ping -c/-W, nc -w, timeouts, polls
with a deadline); the only lab change (an ISP link fault, a restart) is undone by the test itself.
"""
import os
import re
import subprocess
import sys
import time

import pytest
import testinfra

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
sys.path.insert(0, REPO)
from tests.lab import capture, roadwarrior  # noqa: E402 (the repository is on the path only from here)
EPH = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", os.path.join(EPH, "inventory", "ansible_inventory.yml"))
LAB = [os.path.join(REPO, ".venv/bin/python"), "-m", "tests.lab.azblab", "--inventory",
       os.path.join(EPH, "lab-inventory.yml")]
HERE = os.path.dirname(os.path.abspath(__file__))
CONSOLE = "/usr/local/lib/azb-test/guest_console.py"
HQ, BRANCH = "lab-a10", "lab-a11"
ERP, POS = "10.31.3.20", "10.32.3.20"
WEB = "203.0.113.10"   # the lab internet's web server: /ip echoes the source address it sees
TUNNEL = "acmes2s"


def sh(cmd, timeout=60, check=True):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)
    if check and res.returncode != 0:
        raise AssertionError("%s -> %d\n%s%s" % (cmd, res.returncode, res.stdout, res.stderr))
    return res


def playbook(*args, timeout=600):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    return subprocess.run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", INVENTORY] + list(args),
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO, check=False)


def appliance(name):
    return testinfra.get_host("ansible://%s" % name, ansible_inventory=INVENTORY)


@pytest.fixture(scope="module")
def hq():
    return _with_console(appliance(HQ))


@pytest.fixture(scope="module")
def branch():
    return _with_console(appliance(BRANCH))


def _with_console(host):
    with open(os.path.join(HERE, "guest_console.py")) as f:
        text = f.read()
    host.run("mkdir -p %s" % os.path.dirname(CONSOLE))
    res = host.run("cat > %s <<'AZB_EOF'\n%sAZB_EOF\nchmod 0755 %s" % (CONSOLE, text, CONSOLE))
    assert res.rc == 0, res.stderr
    return host


def guest(host, vm, command, seconds=15):
    """Run ``command`` in the VM's shell; -> (status, output)."""
    res = host.run("python3 %s %s %d %s" % (CONSOLE, vm, seconds, _quote(command)))
    return res.rc, res.stdout


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def guest_ping(host, vm, target, count=3):
    """-> (every packet answered, output); fails when the console did not answer at all."""
    rc, out = guest(host, vm, "ping -c %d -W 1 %s" % (count, target), seconds=count + 10)
    assert rc != 124 and "packets transmitted" in out, "no answer from %s's console:\n%s" % (vm, out)
    return rc == 0 and re.search(r" 0% packet loss", out) is not None, out


def guest_http(host, vm, address, path):
    """GET with busybox nc from inside the VM (-w 3: bounded); -> (status, body)."""
    rc, out = guest(host, vm, "printf 'GET %s HTTP/1.0\\r\\n\\r\\n' | nc -w 3 %s 80" % (path, address))
    assert rc != 124 and "-rc=" in out, "no answer from %s's console:\n%s" % (vm, out)
    return rc, out


def wait(what, probe, seconds):
    """Poll ``probe`` until it returns true, at most ``seconds``; -> elapsed seconds."""
    start = time.time()
    while not probe():
        assert time.time() - start < seconds, "%s: not within %d s" % (what, seconds)
        time.sleep(1)
    return time.time() - start


def transfer(host):
    """Bytes received + sent on the tunnel interface."""
    out = host.check_output("wg show %s transfer" % TUNNEL)
    return sum(int(n) for line in out.splitlines() for n in line.split()[1:3])


@pytest.fixture(scope="module")
def vms_up(hq, branch):
    """Both VMs answer on their site (booted under TCG: bounded wait)."""
    for host, addr in ((hq, ERP), (branch, POS)):
        took = wait("VM %s answers its appliance" % addr,
                    lambda h=host, a=addr: h.run("ping -c 1 -W 1 %s" % a).rc == 0, 120)
        print("VM %s answering after %.1f s more" % (addr, took))
    return True


def test_every_role_ran_and_the_tunnel_joined_its_zone(hq, branch):
    """The seams the roles wire for each other, as the kernel sees them (then traffic proves them)."""
    for host in (hq, branch):
        assert host.service("azb-vpn-%s" % TUNNEL).is_running
        assert host.service("azb-wan-health").is_running
        assert host.check_output("virsh -q domstate %s" % ("erp" if host is hq else "pos")) == "running"
        ruleset = host.check_output("nft -s list table inet azblink")  # -s: no counters
        assert '"%s" . "br3" : accept' % TUNNEL not in ruleset  # trusted zones: policy, not the matrix
        assert re.search(r'"wan1" \. udp \. 51820', ruleset), "the tunnel's port is not open on wan1"
    assert "10.98.0.0/24" in hq.check_output("nft list set inet azblink acl4_allow")


def test_vm_of_hq_and_vm_of_branch_talk_through_the_tunnel(hq, branch, vms_up):
    before = transfer(hq)
    ok, out = guest_ping(hq, "erp", POS)
    assert ok, out
    ok, out = guest_ping(branch, "pos", ERP)
    assert ok, out
    rc, out = guest_http(hq, "erp", POS, "/cgi-bin/status")
    assert rc == 0 and "hostname=pos" in out, out
    assert transfer(hq) > before, "the VMs' packets did not cross %s" % TUNNEL


def test_road_warrior_with_the_exported_config_reaches_the_hq_vm(hq, vms_up):
    """The NOC laptop of the example (tunnel acmerw, client noc-laptop) dials HQ from the lab internet with
    the configuration the vpn role exported, and reaches the ERP VM in HQ's office zone."""
    conf = os.path.join(EPH, "vpn-export", HQ, "noc-laptop.conf")
    assert oct(os.stat(conf).st_mode & 0o777) == "0o600", "the exported configuration holds a key"
    ns = roadwarrior.netns_up("azb-rw-site", "203.0.113.205", "rwsite")
    try:
        proc = roadwarrior.wireguard_session(ns, conf, EPH)
        try:
            res = roadwarrior.sh("ip netns exec %s ping -c 3 -W 1 -w 10 %s" % (ns, ERP), check=False)
            assert " 0% packet loss" in res.stdout, res.stdout + res.stderr
            client = hq.check_output("wg show acmerw latest-handshakes").split()
            assert len(client) == 2 and int(client[1]) > 0, "HQ saw no handshake from the laptop: %s" % client
        finally:
            roadwarrior.stop(proc)
    finally:
        roadwarrior.netns_down(ns, "rwsite")


def test_unbound_vm_goes_out_its_wan_and_bound_vm_never_does(hq, branch, vms_up):
    rc, out = guest_http(hq, "erp", WEB, "/ip")
    assert rc == 0 and "\n192.0.2.82" in out, "erp should leave by HQ's wan1:\n" + out
    # pos is bound to the tunnel, fail closed: the internet is not behind the tunnel, so nothing
    rc, out = guest_http(branch, "pos", WEB, "/ip")
    assert "200 OK" not in out, "pos reached the internet:\n" + out


VFW_LOG = "/var/log/azblink/vnf/posfw/fw.log"


def _vfw_lines(host, needle):
    return [line for line in host.check_output("cat %s" % VFW_LOG).splitlines() if needle in line]


def test_pos_crosses_its_vfw_on_the_way_to_hq_and_the_vfw_drops_what_it_does_not_allow(branch, hq, vms_up):
    """The chain pos-to-hq (inventories/example, acme_branches): pos's TCP connections to ports 7 and
    80 -> the vFW posfw (a namespace of its own, its own policy and log) -> the tunnel -> erp. The
    vFW lets tcp/80 through and drops erp's echo port (tcp/7), which the zones alone let pass
    (office <-> sites: any) and which erp answers to HQ's own clients."""
    assert branch.service("azb-vnf@posfw").is_running
    rc, out = guest(branch, "pos", "echo azb-probe-7 | nc -w 3 %s 7" % ERP, seconds=20)
    assert rc != 124, "no answer from pos's console:\n" + out
    assert "azb-probe-7" not in out.replace("echo azb-probe-7", ""), "erp's echo answered through the vFW:\n" + out
    rc, out = guest_http(branch, "pos", ERP, "/")
    assert "200 OK" in out, "pos -> erp:80 did not cross the vFW:\n" + out
    # The vFW logged both verdicts (NFLOG group 1 in its namespace): the dropped SYNs to tcp/7 and the
    # accepted connection to tcp/80, each from pos's own address.
    took = wait("the vFW logged pos's connections",
                lambda: _vfw_lines(branch, "%s.7:" % ERP) and _vfw_lines(branch, "%s.80:" % ERP), 10)
    seen = _vfw_lines(branch, "%s.7:" % ERP) + _vfw_lines(branch, "%s.80:" % ERP)
    print("vFW log after %.1f s: %d lines, e.g. %s" % (took, len(seen), seen[-1]))
    assert all(line.split(" IP ")[1].startswith(POS + ".") for line in seen), "the vFW saw another source"
    # Not in the chain: ping (proto) still goes by the route policy straight into the tunnel.
    icmp_before = len(_vfw_lines(branch, "ICMP"))
    ok, out = guest_ping(branch, "pos", ERP, count=1)
    assert ok, out
    time.sleep(1)  # the vFW's logger writes within milliseconds; give it one second to show a line
    assert len(_vfw_lines(branch, "ICMP")) == icmp_before, "ping crossed the vFW; the chain takes TCP 7 and 80 only"


def _leaks(appliance_index, net, seconds):
    """Capture on both ISP sides of an appliance (listening when this returns): packets toward ``net``
    that leave by a WAN."""
    return [capture.start("azb-a%d-isp%d" % (appliance_index, n), "cust0", ["dst", "net", net], seconds, 5)
            for n in (1, 2)]


def test_bound_vm_reaches_nothing_while_the_tunnel_is_down(branch, hq, vms_up):
    branch.check_output("systemctl stop azb-vpn-%s" % TUNNEL)
    try:
        wait("the tunnel interface is gone", lambda: branch.run("ip link show %s" % TUNNEL).rc != 0, 15)
        caps = _leaks(11, "10.31.0.0/16", 12)
        ok, out = guest_ping(branch, "pos", ERP, count=3)
        assert not ok, "pos reached HQ with the tunnel down:\n" + out
        rc, out = guest_http(branch, "pos", WEB, "/ip")
        assert "200 OK" not in out, "pos reached the internet with the tunnel down:\n" + out
        leaked = "\n".join(line for p in caps for line in capture.packets(p, timeout=20))
        assert " IP " not in leaked, "pos's packets left by a WAN:\n" + leaked
    finally:
        branch.check_output("systemctl start azb-vpn-%s" % TUNNEL)
    took = wait("pos reaches erp again", lambda: guest_ping(branch, "pos", ERP, count=1)[0], 60)
    print("tunnel restarted: pos reaches erp again after %.1f s" % took)


def test_hq_wan1_fails_and_the_tunnel_comes_back_over_wan2(hq, branch, vms_up):
    ok, out = guest_ping(hq, "erp", POS, count=1)
    assert ok, out
    sh(LAB + ["fault", "link", HQ, "1", "on"])
    start = time.time()
    try:
        # one ping a second from inside erp until one crosses (bounded: 90 tries)
        rc, out = guest(hq, "erp", "i=0; until ping -c 1 -W 1 %s >/dev/null; do i=$((i+1)); "
                                   "[ $i -ge 90 ] && break; done; ping -c 3 -W 1 %s" % (POS, POS), seconds=120)
        recovered = time.time() - start
        assert rc == 0 and " 0% packet loss" in out, out
        print("\nFIGURE tunnel recovery after HQ wan1 link failure: %.1f s (VM to VM, erp -> pos)" % recovered)
        # the branch now talks to HQ's wan2 address
        endpoints = branch.check_output("wg show %s endpoints" % TUNNEL)
        assert "198.51.100.82:" in endpoints, endpoints
        ok, out = guest_ping(branch, "pos", ERP)
        assert ok, out
    finally:
        sh(LAB + ["fault", "link", HQ, "1", "off"])


def test_no_op_converge_of_the_whole_site():
    """Both appliances converge in parallel (linear strategy, lockstep): the run's time is each
    appliance's no-op converge time."""
    start = time.time()
    res = playbook(os.path.join(REPO, "extensions/molecule/site/converge.yml"))
    took = time.time() - start
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    recap = dict(re.findall(r"^(lab-a\d+)\s+:.*?changed=(\d+)", res.stdout, re.M))
    assert recap == {HQ: "0", BRANCH: "0"}, res.stdout[-6000:]
    tasks = len(re.findall(r"^TASK \[", res.stdout, re.M))
    # Ansible's floor in the same minute (a one-task ping play on both): on a loaded machine the
    # converge reads against it, not against the idle-machine target.
    start = time.time()
    floor = sh([os.path.join(REPO, ".venv/bin/ansible"), "-i", INVENTORY, "%s,%s" % (HQ, BRANCH), "-m", "ping"],
               timeout=300)
    floor_took = time.time() - start
    print("\nFIGURE no-op converge of the whole reference site: %.1f s per appliance (%s and %s in "
          "parallel, %d tasks, changed=0; target < 20 s on an idle machine; a one-task ping play took "
          "%.1f s just after)" % (took, HQ, BRANCH, tasks, floor_took))
    assert "SUCCESS" in floor.stdout, floor.stdout


def _state(host, vm):
    """What to look at when the site does not come back: the VM, the tunnel, the flows."""
    return "\n".join("## %s\n%s" % (c, host.run(c).stdout) for c in (
        "virsh list --all", "wg show %s" % TUNNEL, "ip rule", "ip route show table 200",
        "conntrack -L -p udp --dport 51820", "conntrack -L -p udp --sport 51820",
        "journalctl -b -u libvirtd -u azb-vpn-%s --no-pager -n 30" % TUNNEL))


def test_branch_reboots_and_everything_is_back_without_ansible(hq, branch, vms_up):
    start = time.time()
    sh(LAB + ["restart", BRANCH], timeout=180)
    wait("the branch answers ssh", lambda: appliance(BRANCH).run("true").rc == 0, 120)
    fresh = _with_console(appliance(BRANCH))
    ssh_back = time.time() - start
    try:
        # the VM boots under TCG on a loaded machine: its own appliance sees it first
        wait("pos answers the branch after its reboot", lambda: fresh.run("ping -c 1 -W 1 %s" % POS).rc == 0, 240)
        vm_back = time.time() - start
        wait("erp reaches pos after the branch's reboot", lambda: guest_ping(hq, "erp", POS, count=1)[0], 120)
    except AssertionError as exc:
        raise AssertionError("%s\n# HQ\n%s\n# branch\n%s" % (exc, _state(hq, "erp"), _state(fresh, "pos")))
    print("\nFIGURE branch reboot: ssh back %.1f s, pos up %.1f s, erp reaches pos %.1f s after the restart began"
          % (ssh_back, vm_back, time.time() - start))
    ok, out = guest_ping(fresh, "pos", ERP)
    assert ok, out
    rc, out = guest_http(fresh, "pos", WEB, "/ip")
    assert "200 OK" not in out, "after the reboot pos reached the internet (fail-closed lost):\n" + out
