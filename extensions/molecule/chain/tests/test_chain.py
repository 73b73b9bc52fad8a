"""Service chains verified by traffic on lab-a13: a client in the office zone (br3), the lab internet.

Chain office-web: office tcp/80 -> fw (nftables vFW, block) -> ips (Suricata on NFQUEUE, block)
-> proxy (squid intercepting, bypass) -> wan2. Chain office-vm: office pings of 203.0.113.2 -> the lab
guest VM under libvirt (VNF hop1, a routed hop, block; the last tests flip it to bypass, then remove it)
-> wan2. Every probe is bounded (curl --max-time, tcpdump -c
with timeout, loops with deadlines). Measured times are printed (pytest -s / junit).
"""
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
sys.path.insert(0, REPO)
from tests.lab import scenario  # noqa: E402 (the repository is on the path only from here)
VARS = scenario.load_vars(HERE)
APP = VARS["chain_lab_appliance"]
IDX = scenario.appliance_index(APP)
CLIENT_NS = "azb-a%s-c-c3" % IDX
CLIENT = VARS["chain_lab_clients"][0]["address"].split("/")[0]
WAN1 = VARS["azb_wans"][0]["address"][0].split("/")[0]
WAN2 = VARS["azb_wans"][1]["address"][0].split("/")[0]
WEB = "http://203.0.113.10"
PY = os.path.join(REPO, ".venv/bin/python")
sys.path.insert(0, REPO)
from tests.lab import capture  # noqa: E402 (the repository is on the path only from here)
STATE = "/run/azblink/chain-state.json"
LOGS = "/var/log/azblink/vnf"
# Instance -> (its hop, on_failure, its host-side interfaces), from the declared chain.
# HOPS: office-web's (namespace VNFs); ALL: every instance the health service holds (with the VM).
HOPS = {}
for i, v in enumerate(VARS["azb_vnfs"]):
    hops = [h for h in VARS["azb_chains"][0]["hops"] if v["name"] in h["instances"]]
    if hops:
        HOPS[v["name"]] = {"hop": hops[0]["name"], "on_failure": hops[0]["on_failure"], "in": "azbs%di" % i,
                           "out": "azbs%do" % i, "kind": v["kind"]}
ALL = [v["name"] for v in VARS["azb_vnfs"]]
VM_VNF = [v for v in VARS["azb_vnfs"] if v["kind"] == "vm"][0]
VM = VM_VNF["config"]["vm"]
VM_IN, VM_OUT = "azbh%si" % VM_VNF["name"], "azbh%so" % VM_VNF["name"]
VM_TARGET = VARS["azb_chains"][1]["to"][0].split("/")[0]


def client(argv, timeout=15):
    return scenario.in_ns(CLIENT_NS, argv, timeout)


def get(path, max_time="2"):
    """(http code, body) of a new connection from the client; code '000' when it fails."""
    res = client(["curl", "-s", "--max-time", max_time, "-o", "-", "-w", "\n%{http_code}", WEB + path])
    body, _sep, code = res.stdout.rpartition("\n")
    return code.strip() or "000", body


def egress(max_time="1"):
    code, body = get("/ip", max_time)
    return body.strip() if code == "200" else None


def state(host):
    """The health service's state file (a cut ssh session is run again by the root conftest.py)."""
    return json.loads(host.check_output("cat %s" % STATE))


def wait_for(pred, seconds, step=0.1):
    return scenario.wait_for(pred, seconds, step)


# What the health service must hold up between tests: every instance, until the last test removes the VM hop.
EXPECT_UP = list(ALL)


def all_up(host):
    return sorted(state(host)["alive"]) == sorted(EXPECT_UP)


@pytest.fixture(autouse=True)
def healthy(host):
    """Each test starts (and leaves) with every instance up and the chain carrying traffic."""
    assert wait_for(lambda: all_up(host), 60, 0.5), "instances not all up: %s" % state(host)
    yield
    assert wait_for(lambda: all_up(host), 60, 0.5), "instances did not recover: %s" % state(host)


# -- the chain carries traffic ------------------------------------------------------------------

def test_clean_request_crosses_the_chain_and_leaves_by_wan2(host):
    assert egress() == WAN2, "the chain's exit is wan2"
    nonce = "azb-clean-%s" % uuid.uuid4().hex[:12]
    code, _body = get("/" + nonce)
    assert code == "200", "the lab web answers (through the proxy): %s" % code
    log = host.check_output("grep -F %s %s/proxy1/access.log || true" % (nonce, LOGS))
    assert CLIENT in log, "squid's access log must name the client: %r" % log


def test_traffic_outside_the_classifier_is_not_chained(host):
    """Ping and other ports of the office leave by the default WAN (wan1), untouched by the chain."""
    before = host.check_output("wc -l < %s/proxy1/access.log" % LOGS)
    res = client(["ping", "-c", "2", "-W", "1", "-i", "0.3", "203.0.113.1"])
    assert res.returncode == 0, res.stdout
    assert host.check_output("wc -l < %s/proxy1/access.log" % LOGS) == before


def test_ips_mode_blocks_the_test_signature(host):
    nonce = "azb-evil-test-%s" % uuid.uuid4().hex[:8]
    code, _body = get("/" + nonce, "3")
    assert code == "000", "the IPS must drop the request carrying the signature (got %s)" % code
    assert wait_for(lambda: nonce in host.check_output("cat %s/ips1/eve.json" % LOGS), 5, 0.2)
    events = [json.loads(line) for line in host.check_output("cat %s/ips1/eve.json" % LOGS).splitlines()
              if nonce in line]
    assert any(e.get("alert", {}).get("action") == "blocked" for e in events), events
    assert egress() == WAN2, "clean traffic still passes"


def _playbook(name, *extra):
    env = dict(os.environ)
    inv = env.get("MOLECULE_INVENTORY_FILE")
    argv = [os.path.join(REPO, ".venv/bin/ansible-playbook"), os.path.join(SCENARIO, name)] + list(extra)
    if inv:
        argv[1:1] = ["-i", inv]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=SCENARIO, env=env, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res.stdout


def _converge_ips_mode(mode):
    return _playbook("chains_only.yml", "-e", "chain_ips_mode=%s" % mode)


def test_check_mode_reports_a_change_and_leaves_the_box_alone(host):
    out = _playbook("chains_only.yml", "-e", "chain_ips_mode=ids", "--check", "--diff")
    assert "changed=1" in out and "ips1.rules" in out, out[-2000:]
    assert "alert http" in out, "the diff shows the rule that would change"
    assert host.check_output("head -c 4 /etc/azblink/chain/vnf/ips1.rules") == "drop"
    assert get("/azb-evil-test-check-%s" % uuid.uuid4().hex[:6], "3")[0] == "000", "still in IPS mode"


def test_gathered_reports_what_runs(host):
    res = host.ansible("azblink.nfv.azb_chain", "state=gathered", check=False, become=True)
    facts = res["gathered"]
    assert facts["health_service"] and facts["table_loaded"]
    assert all(v["active"] and v["healthy"] for v in facts["vnfs"].values()), facts["vnfs"]
    assert sorted(facts["vnfs"]) == sorted(ALL)


def test_ids_mode_only_alerts(host):
    t0 = time.time()
    _converge_ips_mode("ids")
    print("IPS switched to IDS mode by a converge in %.1f s" % (time.time() - t0))
    try:
        # The IPS restarted with its new rules: wait until the chain carries traffic again.
        assert wait_for(lambda: all_up(host) and egress() == WAN2, 60, 0.5)
        nonce = "azb-evil-test-%s" % uuid.uuid4().hex[:8]
        code, _body = get("/" + nonce, "3")
        assert code == "200", "in IDS mode the request passes (got %s)" % code
        assert wait_for(lambda: nonce in host.check_output("cat %s/ips1/eve.json" % LOGS), 5, 0.2)
        events = [json.loads(line) for line in host.check_output("cat %s/ips1/eve.json" % LOGS).splitlines()
                  if nonce in line]
        assert any(e.get("alert", {}).get("action") == "allowed" for e in events), events
    finally:
        _converge_ips_mode("ips")


# -- symmetry -----------------------------------------------------------------------------------

def test_both_directions_of_a_flow_cross_every_service_segment(host):
    """tcpdump (bounded) on each VNF link while one request runs: the request and its reply on each."""
    ifaces = [HOPS[n][side] for n in HOPS for side in ("in", "out")]
    capture.start_on(host, [(i, "tcp port 80 and host 203.0.113.10", "/tmp/azb-sym.%s" % i) for i in ifaces], 8, 4)
    assert egress() == WAN2
    for i in ifaces:
        lines = capture.read_on(host, "/tmp/azb-sym.%s" % i, want=4)
        out_dir = [l for l in lines if "> 203.0.113.10.80:" in l]
        back = [l for l in lines if "203.0.113.10.80 >" in l]
        print("%s: %d out, %d back" % (i, len(out_dir), len(back)))
        assert out_dir and back, "%s did not see both directions: %s" % (i, lines)


# -- the VM hop ---------------------------------------------------------------------------------

def _ping_vm_target(count=3):
    """The client's pings of the VM chain's target (bounded: count, -W 2, the timeout)."""
    return client(["ping", "-n", "-c", str(count), "-W", "2", "-i", "0.3", VM_TARGET], timeout=20)


def _crosses_vm(host):
    """Echo requests and replies of the client, on both of the VM's bridges (bounded tcpdumps): the
    box routes them into the guest by one bridge and gets them back by the other, both ways."""
    flt = "icmp and host %s and host %s" % (CLIENT, VM_TARGET)
    capture.start_on(host, [(VM_IN, flt, "/tmp/azb-vm.in"), (VM_OUT, flt, "/tmp/azb-vm.out")], 10, 6)
    ok = _ping_vm_target().returncode == 0
    seen = {}
    for side, path in (("in", "/tmp/azb-vm.in"), ("out", "/tmp/azb-vm.out")):
        lines = capture.read_on(host, path, want=6)
        seen[side] = ([x for x in lines if "echo request" in x], [x for x in lines if "echo reply" in x])
    return ok, seen


def test_a_flow_crosses_the_vm_hop_both_ways(host):
    ok, seen = _crosses_vm(host)
    assert ok, "the client's pings of %s through the VM get answers" % VM_TARGET
    for side, (req, rep) in seen.items():
        print("VM %s side %s: %d echo requests, %d echo replies" % (VM, side, len(req), len(rep)))
        assert req and rep, "the VM's %s bridge did not see both directions: %s" % (side, seen)


def _vm_flow_ok():
    # The lab internet's 203.0.113.2 is every appliance's WAN health target: under load it drops some
    # echo replies, so a flow is "through" when some of its replies come back (5 tries, bounded).
    return _ping_vm_target(5).returncode == 0


def test_vm_destroyed_blocks_its_hop_and_it_comes_back(host):
    """virsh destroy: the hop (block) drops the flow; virsh start: the guest boots, 2 good probes, back."""
    assert wait_for(_vm_flow_ok, 30, 1), "before the fault the flow crosses the VM"
    t0 = _at(host, "virsh -q destroy %s" % VM)
    started = False
    try:
        assert wait_for(lambda: _transition(host, VM_VNF["name"], "down", t0), 15, 0.3), state(host)
        took = _transition(host, VM_VNF["name"], "down", t0)["applied_at"] - t0
        assert _ping_vm_target(2).returncode != 0, "a block hop whose VM is gone lets no ping through"
        t1 = _at(host, "virsh -q start %s" % VM)
        started = True
    finally:
        if not started:
            host.run("virsh -q start %s" % VM)
    back = _vm_hop_back(host, t1)
    print("VM %s destroyed: blocked after %.2f s; back in service %.1f s after virsh start (boot included)"
          % (VM, took, back))
    # Its dead timer: 3 intervals of 200 ms + an 800 ms timeout (vars.yml) = 1.4 s; 3 s with the destroy.
    assert took <= 3.0, "failure handled later than 3 s: %.2f" % took


# -- failures -------------------------------------------------------------------------------------

def _main_pid(host, name):
    return host.check_output("systemctl show -p MainPID --value azb-vnf@%s.service" % name).strip()


def _at(host, cmd):
    """Run ``cmd`` on the box; the box's clock (the lab shares this machine's) when it ran."""
    return float(host.check_output("date +%%s.%%N; %s" % cmd).split()[0])


def _kill(host, name):
    return _at(host, "systemctl kill -s KILL azb-vnf@%s.service" % name)


def _hang(host, name):
    if HOPS[name]["kind"] == "nftables":
        return _at(host, "ip netns exec azbv-%s sysctl -q -w net.ipv4.ip_forward=0" % name)
    return _at(host, "kill -STOP %s" % _main_pid(host, name))


def _unhang(host, name):
    if HOPS[name]["kind"] == "nftables":
        return _at(host, "ip netns exec azbv-%s sysctl -q -w net.ipv4.ip_forward=1" % name)
    return _at(host, "kill -CONT %s" % _main_pid(host, name))


def _crosses(host, name):
    """A new client connection is seen on the instance's in side (bounded tcpdump)."""
    iface = HOPS[name]["in"]
    capture.start_on(host, [(iface, "tcp port 80 and src %s" % CLIENT, "/tmp/azb-x")], 6, 1)
    if egress("2") != WAN2:
        return False  # no connection got out: nothing to look for on the hop (next poll, not a 5 s read)
    return any(CLIENT in line for line in capture.read_on(host, "/tmp/azb-x"))


def _vm_hop_back(host, started_at):
    """After ``virsh start``: the health service takes the VM hop back (seconds after the start, boot
    included) and traffic crosses the VM again, both ways."""
    assert wait_for(lambda: _transition(host, VM_VNF["name"], "up", started_at), 90, 0.5), \
        "the VM hop did not come back"
    back = _transition(host, VM_VNF["name"], "up", started_at)["applied_at"] - started_at
    ok, seen = _crosses_vm(host)
    assert ok and all(req and rep for req, rep in seen.values()), "traffic crosses the VM again: %s" % seen
    return back


def _transition(host, name, to, after):
    for t in state(host)["transitions"]:
        if t["instance"] == name and t["to"] == to and t["applied_at"] >= after:
            return t
    return None


def _failure(host, name, inject, recover):
    """Inject a fault; return (seconds to bypass or block, seconds back in service after recovery).
    Both come from the health service's transitions (when it applied the maps), timed from the fault on
    the box's clock (the same clock as here: the lab is on this machine); traffic then shows the effect.
    The fault is always undone, so one failing check does not leave the chain broken for the next test."""
    policy = HOPS[name]["on_failure"]
    assert wait_for(lambda: _crosses(host, name), 15, 0.2), "before the fault the traffic crosses %s" % name
    t0 = inject(host, name)
    recovered = False
    try:
        assert wait_for(lambda: _transition(host, name, "down", t0), 10, 0.3), \
            "%s (%s): the health service did not see it fail within 10 s: %s" % (name, policy, state(host))
        took = _transition(host, name, "down", t0)["applied_at"] - t0
        if policy == "bypass":
            assert wait_for(lambda: egress("1") == WAN2, 10, 0.1), \
                "%s (bypass): new connections did not get through within 10 s of the bypass" % name
        else:
            fails = [egress() for _attempt in range(3)]
            assert fails == [None, None, None], "%s (block): new connections got through: %s" % (name, fails)
        t1 = recover(host, name) or t0
        recovered = True
    finally:
        if not recovered:
            recover(host, name)
    assert wait_for(lambda: _transition(host, name, "up", t1), 30, 0.3), "%s did not come back" % name
    back = _transition(host, name, "up", t1)["applied_at"] - t1
    # Back in the health service's view (timed above); client traffic through it again, bounded. A
    # restarted Suricata can take seconds more to pass new flows on a loaded 2-core host: printed.
    t_up = time.time()
    assert wait_for(lambda: _crosses(host, name), 30, 0.2), "traffic did not return to %s within 30 s" % name
    print("%s: client traffic through it again %.1f s after the health service saw it up"
          % (name, time.time() - t_up))
    return took, back


@pytest.mark.parametrize("name", sorted(HOPS))
def test_kill_each_hop(host, name):
    took, back = _failure(host, name, _kill, lambda h, n: None)  # systemd restarts it (RestartSec=5)
    print("kill %s (%s): %s after %.2f s; back in service %.2f s after the kill"
          % (name, HOPS[name]["on_failure"], "bypassed" if HOPS[name]["on_failure"] == "bypass" else "blocked",
             took, back))
    assert took <= 2.0, "failure handled later than 2 s: %.2f" % took


@pytest.mark.parametrize("name", sorted(HOPS))
def test_hang_each_hop(host, name):
    took, back = _failure(host, name, _hang, _unhang)
    print("hang %s (%s): %s after %.2f s; back %.2f s after it resumed"
          % (name, HOPS[name]["on_failure"], "bypassed" if HOPS[name]["on_failure"] == "bypass" else "blocked",
             took, back))
    assert took <= 2.0, "failure handled later than 2 s: %.2f" % took


def test_health_records_each_transition(host):
    downs = [t for t in state(host)["transitions"] if t["to"] == "down"]
    assert downs, "the failures above must be recorded"
    times = [t["maps_ms"] for t in downs]
    print("maps rewrite times (ms): median %.1f, max %.1f" % (statistics.median(times), max(times)))


# -- reboot -----------------------------------------------------------------------------------------

def test_after_a_reboot_the_chain_works_without_ansible(host):
    subprocess.run([PY, "-m", "tests.lab.azblab", "restart", APP], cwd=REPO, check=True, capture_output=True,
                   timeout=240)
    assert wait_for(lambda: egress() == WAN2, 120, 1), "after the reboot the chain does not carry traffic"
    assert wait_for(lambda: all_up(host), 60, 0.5)
    nonce = "azb-reboot-%s" % uuid.uuid4().hex[:8]
    assert get("/" + nonce)[0] == "200"
    assert CLIENT in host.check_output("grep -F %s %s/proxy1/access.log || true" % (nonce, LOGS))
    assert get("/azb-evil-test-after-reboot", "3")[0] == "000", "the IPS blocks again after the reboot"


# -- the VM hop as a bypass hop, then removed (last: they change the declared chain) -----------------

def _vm_hop_policy(host, policy):
    t0 = time.time()
    _playbook("chains_only.yml", "-e", "chain_vm_on_failure=%s" % policy)
    print("VM hop switched to %s by a converge in %.1f s" % (policy, time.time() - t0))
    # A new table restarts the health service: every instance is down until probed up again.
    assert wait_for(lambda: all_up(host) and _vm_flow_ok(), 60, 0.5)


def _pinger(seconds):
    """The client's pings of the VM chain's target, 20 a second with receive times (ping -D), for
    ``seconds`` (bounded by timeout): started before a fault, read after it."""
    return subprocess.Popen(["ip", "netns", "exec", CLIENT_NS, "timeout", str(seconds), "ping", "-D", "-n", "-i",
                             "0.05", "-W", "1", VM_TARGET], stdout=subprocess.PIPE, text=True)


def _replies_after(pinger, after):
    """Receive times of the pinger's echo replies later than ``after``."""
    out, _err = pinger.communicate(timeout=30)
    times = [float(line[1:line.index("]")]) for line in out.splitlines()
             if line.startswith("[") and "bytes from" in line]
    return [t for t in times if t > after]


def test_vm_destroyed_is_bypassed_and_traffic_crosses_it_again(host):
    """on_failure: bypass (one converge of the chains): virsh destroy -> the client's pings pass again,
    around the hop, within 2 s of the fault; virsh start -> they cross the VM again, both ways."""
    _vm_hop_policy(host, "bypass")
    pinger = _pinger(8)
    time.sleep(0.5)
    # Replies after the destroy returned cannot have crossed the guest (gone both ways): bypassed.
    stamps = host.check_output("date +%%s.%%N; virsh -q destroy %s; date +%%s.%%N" % VM).split()
    t0, t_gone = float(stamps[0]), float(stamps[-1])
    started = False
    try:
        through = _replies_after(pinger, t_gone)
        assert through, "a bypass hop whose VM is gone must let pings through: %s" % state(host)
        took = through[0] - t0
        assert wait_for(lambda: _transition(host, VM_VNF["name"], "down", t0), 10, 0.3), state(host)
        maps = _transition(host, VM_VNF["name"], "down", t0)["applied_at"] - t0
        t1 = _at(host, "virsh -q start %s" % VM)
        started = True
    finally:
        if not started:
            host.run("virsh -q start %s" % VM)
    back = _vm_hop_back(host, t1)
    print("VM %s destroyed (bypass): maps rewritten after %.2f s, the client's first ping through after %.2f s; "
          "back in service %.1f s after virsh start (boot included)" % (VM, maps, took, back))
    assert took <= 2.0, "bypass later than 2 s after the fault: %.2f" % took


def test_removing_the_vm_hop_removes_its_bridges_and_unit(host):
    """Its chain and VNF removed (then its VM): the bridges azbh<NAME>i/o and the unit go, the other
    chain keeps working, and a second run changes nothing."""
    global EXPECT_UP
    EXPECT_UP = [n for n in ALL if n != VM_VNF["name"]]
    unit = "azb-vnf@%s.service" % VM_VNF["name"]
    _playbook("remove_vm_hop.yml")
    for link in (VM_IN, VM_OUT):
        assert host.run("test -e /sys/class/net/%s" % link).rc != 0, "bridge %s is still there" % link
    assert host.run("systemctl is-active --quiet %s" % unit).rc != 0, "%s still runs" % unit
    assert host.run("systemctl is-enabled --quiet %s" % unit).rc != 0, "%s still enabled" % unit
    assert host.run("systemctl is-failed --quiet %s" % unit).rc != 0, "%s left failed" % unit
    assert not host.file("/etc/azblink/chain/vnf/%s.json" % VM_VNF["name"]).exists
    assert wait_for(lambda: all_up(host), 60, 0.5), state(host)
    assert egress() == WAN2, "the web chain still carries traffic"
    again = _playbook("remove_vm_hop.yml")
    assert "changed=0" in again, again[-1500:]
