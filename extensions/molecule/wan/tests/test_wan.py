"""Multi-WAN verified by traffic on lab-a3: lab clients in br3, the lab internet, the scenario's
corporate resolver (203.0.113.60, also a TCP echo server that tells the source it sees).

Every probe is bounded (curl --max-time, socket timeouts, ping -c/-W, loops with deadlines). Faults:
the lab's ISP link fault, and a silent blackhole in the ISP namespace (the same nft table the lab's
``fault blackhole`` means to load, with chain names nft accepts; see BLACKHOLE). Failover figures
are printed (pytest -s / junit) and bounded by the 2 s target.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
sys.path.insert(0, REPO)
from tests.lab import scenario  # noqa: E402 (the repository is on the path only from here)
from tests.lab.scenario import in_ns  # noqa: E402
VARS = scenario.load_vars(HERE)
APP = VARS["wan_lab_appliance"]
IDX = scenario.appliance_index(APP)
NS = scenario.client_namespaces(APP, VARS["wan_lab_clients"])
CORP_NS = VARS["wan_corp_netns"]
ISP = {1: "azb-a%s-isp1" % IDX, 2: "azb-a%s-isp2" % IDX}
WAN1 = VARS["azb_wans"][0]["address"][0].split("/")[0]
WAN2 = VARS["azb_wans"][1]["address"][0].split("/")[0]
ECHO_URL = "http://203.0.113.10/ip"
CORP = VARS["wan_corp_address"]
PY = os.path.join(REPO, ".venv/bin/python")
TRIALS = int(os.environ.get("AZB_WAN_TRIALS", "3"))
BLACKHOLE = """table inet azb_h5_fault {
  chain fwd_drop { type filter hook forward priority -10; iifname "cust0" drop; oifname "cust0" drop; }
  chain in_drop { type filter hook input priority -10; iifname "cust0" drop; }
}
"""


def egress(label, max_time="3"):
    """The source address the internet's echo service sees for a new connection from a client."""
    res = in_ns(NS[label], ["curl", "-s", "--max-time", max_time, ECHO_URL])
    return res.stdout.strip() if res.returncode == 0 else None


def who(label, timeout=2.0):
    """A new TCP connection to the corporate echo server: the source it sees, or None."""
    code = ("import socket,sys\ntry:\n s=socket.create_connection(('%s',7),%s); s.settimeout(%s)\n"
            " s.sendall(b'WHO\\n'); print(s.recv(64).decode().strip())\nexcept OSError: sys.exit(1)\n"
            % (CORP, timeout, timeout))
    res = in_ns(NS[label], [sys.executable, "-c", code])
    return res.stdout.strip() if res.returncode == 0 else None


def dns(label, name, server="10.3.0.1"):
    res = in_ns(NS[label], [sys.executable, os.path.join(HERE, "dnsq.py"), server, name])
    return res.stdout.split()


def link_fault(isp, on):
    subprocess.run([PY, "-m", "tests.lab.azblab", "fault", "link", APP, str(isp), "on" if on else "off"],
                   cwd=REPO, check=True, capture_output=True, timeout=30)


def blackhole(isp, on):
    in_ns(ISP[isp], ["nft", "delete", "table", "inet", "azb_h5_fault"])
    if on:
        res = in_ns(ISP[isp], ["nft", "-f", "-"], data=BLACKHOLE)
        assert res.returncode == 0, res.stderr


def state(host):
    return json.loads(host.check_output("cat /run/azblink/wan-state.json"))


def wait_for(pred, seconds, step=0.05):
    """Failover is timed with it: a finer step than the shared default."""
    return scenario.wait_for(pred, seconds, step)


def wait_wan_up(host, name, seconds=40):
    assert wait_for(lambda: state(host)["wans"][name]["up"], seconds, 0.5), "%s did not come back" % name


@pytest.fixture(scope="module", autouse=True)
def corp_side_running():
    """The corporate resolver and echo server, started by prepare, running when the checks start:
    make test runs this verify alone, after the other scenarios, minutes after prepare. `up` starts
    only what is not running (recorded by PID and start time), and says when it had to (a warning in
    the run's summary: a helper that died is worth knowing about even when the checks then pass)."""
    env = dict(os.environ, WAN_CORP_NETNS=CORP_NS, WAN_CORP_ADDRESS=CORP)
    res = subprocess.run([os.path.join(HERE, "..", "corp_side.sh"), "up"], env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert res.returncode == 0, "corp_side.sh up failed: %s" % res.stderr
    if res.stdout.strip():
        warnings.warn(res.stdout.strip())


@pytest.fixture(scope="module", autouse=True)
def c3_web():
    """A web server on c3 for the port forward (stopped by PID)."""
    proc = subprocess.Popen(["ip", "netns", "exec", NS["c3"], sys.executable, "-m", "http.server", "8000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
    wait_for(lambda: in_ns(NS["c3"], ["curl", "-s", "--max-time", "1", "http://127.0.0.1:8000/"]).returncode == 0, 10)
    yield
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="module", autouse=True)
def wans_up_before_the_steering_checks():
    """Bounded wait: both WANs up in the health service's view and c3 getting out, before the first
    check (after a converge the service may still be in its first probe rounds)."""
    import testinfra  # the verifier's own library
    box = testinfra.get_host("ansible://%s" % APP, ansible_inventory=os.environ.get("MOLECULE_INVENTORY_FILE"))
    for name in ("wan1", "wan2"):
        wait_wan_up(box, name, 60)
    assert wait_for(lambda: egress("c3") is not None, 30, 0.5), "c3 gets no egress 30 s after both WANs are up"


@pytest.fixture(autouse=True)
def faults_cleared():
    yield
    for isp in (1, 2):
        link_fault(isp, False)
        blackhole(isp, False)


# -- steering -----------------------------------------------------------------------------------

def test_default_traffic_leaves_by_wan1():
    assert egress("c3") == WAN1


def test_policy_routes_the_vip_client_out_of_wan2():
    assert egress("vip") == WAN2
    assert egress("c3") == WAN1, "the policy must not move other clients"


def test_replies_to_a_port_forward_leave_by_the_wan_it_came_in_on(host):
    for wan in (WAN1, WAN2):
        res = in_ns("azb-inet", ["curl", "-s", "--max-time", "3", "http://%s:8080/" % wan])
        assert res.returncode == 0 and "Directory listing" in res.stdout, (wan, res.stderr)
    # The connection that came in on wan2 is pinned to wan2 (mark 2 -> table 102 -> wan2).
    ct = host.run("conntrack -L -p tcp --orig-dst %s --dport 8080 2>/dev/null" % WAN2).stdout
    assert ct and all("mark=2" in line for line in ct.splitlines() if line.strip()), ct


# -- split DNS ----------------------------------------------------------------------------------

def test_split_dns_answers_per_domain():
    assert dns("c3", "intranet.corp.test") == ["NOERROR", "10.3.0.99"], "the corporate resolver was not asked"
    assert dns("c3", "www.internet.test") == ["NOERROR", "203.0.113.10"], "other names go to the WAN's resolver"
    # partner.test is forwarded but not rebind_ok: a private answer is refused (rebinding protection).
    assert dns("c3", "app.partner.test") == ["NOERROR"]
    assert in_ns(CORP_NS, [sys.executable, os.path.join(HERE, "dnsq.py"), CORP, "app.partner.test"]) \
        .stdout.split() == ["NOERROR", "10.30.0.7"], "the partner resolver itself does answer"


# -- fail closed ----------------------------------------------------------------------------------

def test_fail_closed_client_reaches_nothing_while_its_tunnel_is_down(host):
    in_ns(CORP_NS, ["ip", "link", "set", "corp1", "down"])
    assert wait_for(lambda: "tun-corp" not in host.run("ip route show table 150").stdout, 5, 0.2)
    assert egress("cmp", "2") is None, "the compliance client leaked out of a plain WAN"
    assert who("cmp") is None
    assert in_ns(NS["cmp"], ["ping", "-c", "2", "-W", "1", "-i", "0.3", "203.0.113.1"]).returncode != 0
    assert wait_for(lambda: egress("c3") == WAN1, 10, 0.5), "other clients are not affected"


def test_fail_closed_client_uses_its_tunnel_when_up(host):
    in_ns(CORP_NS, ["ip", "link", "set", "corp1", "up"])
    try:
        assert wait_for(lambda: "tun-corp" in host.run("ip route show table 150").stdout, 5, 0.2)
        assert who("cmp") == "10.99.0.1", "the compliance client did not go through its tunnel"
    finally:
        in_ns(CORP_NS, ["ip", "link", "set", "corp1", "down"])
    assert wait_for(lambda: who("cmp", 1.0) is None, 5, 0.2), "traffic still flows with the tunnel down"


# -- failover ------------------------------------------------------------------------------------

def _wan1_down_since(host, t0):
    """The health service's record of wan1 going down at or after ``t0`` (box clock = this clock)."""
    downs = [t for t in state(host)["transitions"] if t["wan"] == "wan1" and t["to"] == "down" and t["at"] >= t0]
    return downs[0] if downs else None


def _time_to_wan2(host, inject):
    """Seconds from the fault until the health service moved new connections to wan2 (its own
    transition record: when the switch was applied), once a new connection from c3 is seen leaving
    by wan2; None when either does not happen within 10 s. The record, not a stopwatch around 0.3 s
    curls, times it: a loaded machine slows the clients' probes, not the switch."""
    t0 = time.time()
    inject()
    if not wait_for(lambda: _wan1_down_since(host, t0), 10, 0.2):
        return None
    if not wait_for(lambda: egress("c3", "2") == WAN2, 10, 0.2):
        return None
    return _wan1_down_since(host, t0)["at"] - t0


def _trials(host, inject, clear, kind):
    times = []
    for _trial in range(TRIALS):
        wait_wan_up(host, "wan1")
        assert egress("c3") == WAN1
        t = _time_to_wan2(host, inject)
        clear()
        assert t is not None, "%s: new connections did not move to wan2 within 10 s" % kind
        times.append(t)
    print("%s failover over %d trials: median %.2f s, max %.2f s (%s)" % (
        kind, len(times), statistics.median(times), max(times), ", ".join("%.2f" % t for t in times)))
    downs = [t for t in state(host)["transitions"] if t["wan"] == "wan1" and t["to"] == "down"][-TRIALS:]
    print("service's own records: %s" % downs)
    # The median, not the max: one trial stalled by a loaded 2-core host (other scenarios run side by
    # side) is not a failover defect; bench/wan_failover_bench.py measures the figures on a quiet box.
    assert statistics.median(times) <= 2.0, "%s: detection-and-switch median above 2 s: %s; service: %s" % (
        kind, times, downs)
    last = state(host)["transitions"]
    assert any(t["wan"] == "wan1" and t["to"] == "down" for t in last)


def test_failover_on_link_down(host):
    _trials(host, lambda: link_fault(1, True), lambda: link_fault(1, False), "link down")


def test_failover_on_silent_blackhole(host):
    _trials(host, lambda: blackhole(1, True), lambda: blackhole(1, False), "blackhole")


def test_traffic_moves_back_only_after_the_hold_down(host):
    wait_wan_up(host, "wan1")
    hold = VARS["azb_wans"][0]["health"].get("hold_down_s", 10)
    assert _time_to_wan2(host, lambda: link_fault(1, True)) is not None
    link_fault(1, False)
    t_back = time.monotonic()
    # Well inside the hold-down: still wan2, although wan1 answers again.
    while time.monotonic() - t_back < hold - 2:
        assert egress("c3") == WAN2, "traffic went back to wan1 before the hold-down"
        time.sleep(0.5)
    assert wait_for(lambda: egress("c3") == WAN1, 10, 0.3), "traffic did not return to wan1 after the hold-down"
    back = time.monotonic() - t_back
    print("returned to wan1 %.1f s after it recovered (hold-down %d s)" % (back, hold))
    assert back >= hold


def test_intermittent_loss_does_not_flap(host):
    """ISP1 drops everything for 0.3 s out of every 1.2 s (25 % loss in bursts) for 12 s."""
    wait_wan_up(host, "wan1")
    before = len(state(host)["transitions"])
    for _cycle in range(10):
        blackhole(1, True)
        time.sleep(0.3)
        blackhole(1, False)
        time.sleep(0.9)
    time.sleep(1)
    trans = state(host)["transitions"][before:]
    print("transitions under the loss pattern: %d" % len(trans))
    assert trans == [], "WAN flapped under intermittent loss: %s" % trans
    assert egress("c3") == WAN1


def test_established_flow_on_the_healthy_link_survives_a_failover(host):
    wait_wan_up(host, "wan1")
    code = ("import socket,time\ns=socket.create_connection(('%s',7),2); s.settimeout(2)\nok=0\n"
            "for i in range(40):\n m=('%%d\\n'%%i).encode(); s.sendall(m)\n"
            " ok += s.recv(64)==m\n time.sleep(0.1)\nprint(ok)\n" % CORP)
    proc = subprocess.Popen(["ip", "netns", "exec", NS["vip"], sys.executable, "-c", code],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    link_fault(1, True)
    assert wait_for(lambda: not state(host)["wans"]["wan1"]["up"], 5, 0.2)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.strip() == "40", "the wan2 flow broke during wan1's failover: %s %s" % (out, err)


# -- contracts ------------------------------------------------------------------------------------

def test_rejected_input_leaves_the_box_untouched(host):
    wait_wan_up(host, "wan1")  # no transition (map rewrite) of the health service in between
    before = host.check_output("nft list table inet azblink_wan; ip rule")
    args = dict(wans=VARS["azb_wans"], zones=VARS["azb_zones"], hosts=VARS["azb_hosts"],
                tunnels=VARS["azb_wan_tunnels"],
                policies=VARS["azb_route_policies"] + [{"name": "bad", "from": ["c3net"], "via": "wan3"}])
    res = host.ansible("azblink.nfv.azb_wan_policy", json.dumps(args), check=False, become=True)
    assert "policies[2].from[0]" in res.get("msg", "") and "unknown zone or host" in res["msg"], res
    args["policies"][-1]["from"] = ["office"]
    res = host.ansible("azblink.nfv.azb_wan_policy", json.dumps(args), check=False, become=True)
    assert "policies[2].via" in res.get("msg", "") and "unknown WAN or tunnel" in res["msg"], res
    assert host.check_output("nft list table inet azblink_wan; ip rule") == before


def test_everything_is_back_after_a_reboot(host):
    subprocess.run([PY, "-m", "tests.lab.azblab", "restart", APP], cwd=REPO, check=True, timeout=300,
                   capture_output=True)
    # The lab's reboot removes links the box made itself: the tunnel stand-in is gone (tunnel down).
    assert wait_for(lambda: egress("c3") == WAN1, 60, 1), "default egress did not come back"
    assert wait_for(lambda: egress("vip") == WAN2, 10, 0.5), "the wan2 policy did not come back"
    assert egress("cmp", "2") is None and who("cmp") is None, "fail-closed did not come back"
    assert wait_for(lambda: dns("c3", "intranet.corp.test") == ["NOERROR", "10.3.0.99"], 20, 0.5)
    assert host.service("azb-wan-health").is_running
    t = _time_to_wan2(host, lambda: link_fault(1, True))
    link_fault(1, False)
    assert t is not None and t <= 2.0, "failover after the reboot: %s" % t
