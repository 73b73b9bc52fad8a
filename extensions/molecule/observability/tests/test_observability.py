"""Observability verified by use on lab-a20: events are produced by real traffic and real faults,
and must arrive at the scenario's collector (its own rsyslog over RELP + TLS, in a namespace on the
lab's management network, RFC 5425 over TLS) as RFC 5424 lines whose MSG is the JSON event, and at the webhook receiver as JSON.

Every probe is bounded (socket timeouts, curl --max-time, polls with deadlines). Measured figures
(arrival and drain times) are printed.
"""
import json
import os
import random
import re
import subprocess
import sys
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(SCENARIO, "../../..")))
with open(os.path.join(SCENARIO, "vars.yml")) as fh:
    VARS = yaml.safe_load(fh)
APP = VARS["obs_lab_appliance"]
IDX = APP.rsplit("a", 1)[1]
NS = dict((c["label"], "azb-a%s-c-%s" % (IDX, c["label"])) for c in VARS["obs_lab_clients"])
C1 = VARS["obs_lab_clients"][0]["address"].split("/")[0]
COLLECTOR_NS = VARS["obs_collector_netns"]
RUN = "/run/%s" % COLLECTOR_NS
COLLECTOR = os.path.join(SCENARIO, "collector.sh")
PKI = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "pki")
PY = os.path.join(REPO, ".venv/bin/python")
ENV = dict(os.environ, OBS_NETNS=COLLECTOR_NS, OBS_ADDRESS=VARS["obs_collector_address"])
RFC5424 = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (\{.*\})$")
OUTAGE_S = int(os.environ.get("AZB_OBS_OUTAGE_S", "60"))
BURST = int(os.environ.get("AZB_OBS_BURST", "500"))


def in_ns(ns, argv, timeout=15):
    return subprocess.run(["ip", "netns", "exec", ns] + argv, capture_output=True, text=True, timeout=timeout,
                          check=False)


def collector(*args):
    res = subprocess.run([COLLECTOR] + list(args), env=ENV, capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr


def start_real():
    collector("start", "siem", os.path.join(PKI, "ca.crt"), os.path.join(PKI, "certs/siem.crt"),
              os.path.join(PKI, "private/siem.key"), VARS["azb_observability_collectors"][0]["protocol"])


def wait_for(pred, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def syslog_events(name="siem"):
    """(header, event) for each line the collector wrote; a line that is not RFC 5424 + JSON fails."""
    out = []
    path = "%s/%s-events.log" % (RUN, name)
    if not os.path.exists(path):
        return out
    with open(path) as fh:
        for line in fh:
            m = RFC5424.match(line.rstrip("\n"))
            assert m, "not an RFC 5424 line with a JSON MSG: %r" % line
            out.append(({"pri": int(m.group(1)), "time": m.group(2), "host": m.group(3), "app": m.group(4),
                         "msgid": m.group(6)}, json.loads(m.group(8))))
    return out


def hook_events():
    path = "%s/webhook.jsonl" % RUN
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def matching(events, **want):
    return [e for e in events if all(str(e.get(k)) == str(v) for k, v in want.items())]


def udp_burst(count, base_port, dport=9999):
    """COUNT datagrams from c3 to c1:DPORT, each from its own source port (base_port + i)."""
    code = ("import socket\nfor i in range(%d):\n s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            " s.bind(('',%d+i)); s.sendto(b'x',('%s',%d)); s.close()\n" % (count, base_port, C1, dport))
    res = in_ns(NS["c3"], [sys.executable, "-c", code], timeout=60)
    assert res.returncode == 0, res.stderr


def tcp_attempt(sport, dport=22):
    """One TCP connection attempt from c3 to c1 from a chosen source port (refused: it times out)."""
    code = ("import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('',%d)); s.settimeout(1.5)\ntry:\n s.connect(('%s',%d)); print('open')\n"
            "except OSError as e:\n print('refused', e)\n" % (sport, C1, dport))
    return in_ns(NS["c3"], [sys.executable, "-c", code]).stdout.strip()


def wan_state(host):
    return json.loads(host.check_output("cat /run/azblink/wan-state.json"))


def link_fault(isp, on):
    subprocess.run([PY, "-m", "tests.lab.azblab", "fault", "link", APP, str(isp), "on" if on else "off"],
                   cwd=REPO, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module", autouse=True)
def collector_side():
    """The real collector and the webhook receiver, up for the module (stopped by PID after)."""
    collector("stop", "siem")
    collector("stop", "impostor")
    collector("hook-stop")
    start_real()
    collector("hook-start")
    yield
    collector("stop", "siem")
    collector("stop", "impostor")
    collector("hook-stop")


# -- events arrive structured -------------------------------------------------------------------

def test_refused_connection_arrives_as_a_structured_event():
    sport = random.randint(30000, 39999)
    t0 = time.monotonic()
    assert tcp_attempt(sport).startswith("refused")
    want = dict(event="firewall.policy", policy="office-lab-ssh", action="drop", src="10.3.0.50", dst=C1,
                proto="TCP", sport=sport, dport=22, **{"in": "br3", "out": "br1"})
    assert wait_for(lambda: matching([e for _h, e in syslog_events()], **want), 20), "no event at the collector"
    took = time.monotonic() - t0
    header, event = [(h, e) for h, e in syslog_events() if matching([e], **want)][0]
    print("refused connection -> collector in %.2f s: %s %s" % (took, header, event))
    assert header["host"] == APP and header["app"] == "azb-nflog" and header["msgid"] == "firewall.policy"
    assert event["host"] == APP and re.match(r"^[0-9A-F]{32}$", event["id"]) and event["time"].startswith("20")
    # The webhook gets the same event (same id), as a JSON body.
    assert wait_for(lambda: matching(hook_events(), id=event["id"]), 20), "the webhook did not get the event"


def test_wan_failover_arrives_as_a_structured_event(host):
    seen = set(e["id"] for _h, e in syslog_events())   # earlier transitions (boot, converge) do not count

    def new(**want):
        return matching([e for _h, e in syslog_events() if e["id"] not in seen], event="wan.transition", **want)

    # A transition the box made before (a WAN judged down while the box was starved) would leave no
    # "down" to report: start from both WANs up, as the health service sees them.
    assert wait_for(lambda: all(w["up"] for w in wan_state(host)["wans"].values()), 60), wan_state(host)
    t0 = time.monotonic()
    link_fault(1, True)
    try:
        if not wait_for(lambda: new(wan="wan1", state="down"), 30):
            print("the box after 30 s: %s\n%s" % (wan_state(host), host.run(
                "journalctl -u azb-wan-health -u rsyslog --no-pager -n 30 -o short-precise").stdout))
            raise AssertionError("no wan1 down event at the collector within 30 s")
        print("wan1 down -> event at the collector in %.2f s" % (time.monotonic() - t0))
    finally:
        link_fault(1, False)
    assert wait_for(lambda: new(wan="wan1", state="up"), 60), "no wan1 up event after the link came back"
    down, up = new(wan="wan1", state="down")[0], new(wan="wan1", state="up")[0]
    print("wan events:", json.dumps([down, up]))
    assert down["active"] == "wan2" and down["reason"] and float(down["detect_s"]) >= 0
    assert up["active"] == "wan1" and down["source"] == up["source"] == "azb-wan-health"
    assert len(new(wan="wan1")) == 2, "one link failure, one down and one up: %s" % new(wan="wan1")


# -- authentication of the collector ------------------------------------------------------------

@pytest.fixture
def impostor_certs(tmp_path):
    """A collector certificate with the right name ("siem") from another CA."""
    ca_key, ca_crt = tmp_path / "ca.key", tmp_path / "ca.crt"
    key, csr, crt = tmp_path / "siem.key", tmp_path / "siem.csr", tmp_path / "siem.crt"
    ext = tmp_path / "ext.cnf"
    ext.write_text("subjectAltName=DNS:siem\nextendedKeyUsage=serverAuth,clientAuth\n")
    for argv in (
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(ca_key), "-out", str(ca_crt), "-days", "2", "-subj", "/CN=another CA"],
        ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
         "-out", str(csr), "-subj", "/CN=siem"],
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(crt), "-days", "2", "-extfile", str(ext)]):
        subprocess.run(argv, check=True, capture_output=True, timeout=30)
    # The impostor trusts the real CA for client certificates: only the box's check can refuse it.
    return os.path.join(PKI, "ca.crt"), str(crt), str(key)


def test_a_collector_with_another_cas_certificate_gets_nothing(host, impostor_certs):
    collector("stop", "siem")
    collector("start", "impostor", *(impostor_certs + (VARS["azb_observability_collectors"][0]["protocol"],)))
    base = random.randint(40000, 49000)
    try:
        udp_burst(5, base)
        # The box's own log shows it refused the impostor (bounded wait), and the impostor got nothing.
        refused = wait_for(lambda: host.run(
            "journalctl -u rsyslog --since '-60s' --no-pager | grep -c 'not permitted to talk to peer'").stdout.strip()
            not in ("", "0"), 30, 1)
        log = host.run("journalctl -u rsyslog --since '-60s' --no-pager | tail -5").stdout
        print("box rsyslog while the impostor listened:\n" + log)
        assert refused, "the box did not report the refused collector"
        assert syslog_events("impostor") == [], "the impostor received events"
    finally:
        collector("stop", "impostor")
        start_real()

    def got():
        return set(int(e["sport"]) for e in matching([e for _h, e in syslog_events()], policy="office-lab-burst")
                   if base <= int(e["sport"]) < base + 5)

    assert wait_for(lambda: len(got()) == 5, 60), "queued events did not reach the real collector: %s" % got()


# -- a 60 s collector outage loses nothing; a resent copy keeps its id ------------------------------

def test_collector_outage_loses_nothing_and_copies_keep_their_id():
    base = random.randint(50000, 60000 - BURST)
    collector("stop", "siem")
    t_stop = time.monotonic()
    udp_burst(BURST, base)
    print("%d events produced %.1f s into the outage" % (BURST, time.monotonic() - t_stop))
    # The outage lasts OUTAGE_S from the stop; nothing may reach a collector meanwhile.
    wait_for(lambda: time.monotonic() - t_stop >= OUTAGE_S, OUTAGE_S + 5, 1)
    t_back = time.monotonic()
    start_real()

    def burst_events():
        return [e for _h, e in syslog_events() if e.get("policy") == "office-lab-burst"
                and base <= int(e["sport"]) < base + BURST]

    arrived = wait_for(lambda: len(set(int(e["sport"]) for e in burst_events())) >= BURST, 120, 0.5)
    drain = time.monotonic() - t_back
    events = burst_events()
    ports = [int(e["sport"]) for e in events]
    print("outage %.0f s: %d of %d events arrived %.1f s after the collector came back; %d duplicates"
          % (t_back - t_stop, len(set(ports)), BURST, drain, len(ports) - len(set(ports))))
    assert arrived, "lost: %d of %d" % (BURST - len(set(ports)), BURST)
    # Give a late copy the chance to show before counting.
    time.sleep(2)
    events = burst_events()
    # Syslog over TLS has no acknowledgements: when rsyslog cannot tell whether a batch arrived (a
    # send cut short, as on a starved machine) it sends the batch again. Delivery is at least once,
    # and a copy is the same event (same id, same fields), so the SIEM drops it by id. An event that
    # shows up under two ids, or two events under one id, is a defect.
    by_id = {}
    for e in events:
        assert by_id.setdefault(e["id"], e) == e, "id %s carries two different events" % e["id"]
    assert len(by_id) == BURST, "%d distinct ids for %d events" % (len(by_id), BURST)
    assert len(set(int(e["sport"]) for e in by_id.values())) == BURST
    copies = len(events) - BURST
    print("copies resent (same id): %d" % copies)
    # The webhook stayed up: it got each of them exactly once too.
    hooked = [e for e in hook_events() if e.get("policy") == "office-lab-burst" and base <= int(e["sport"]) < base + BURST]
    assert len(hooked) == BURST and len(set(e["id"] for e in hooked)) == BURST


# -- metrics: the exporter answers the management network only -----------------------------------

def test_exporter_answers_management_with_azb_metrics(host):
    mgmt = host.ansible.get_variables()["ansible_host"]
    needles = ('azb_zone_bytes_total{direction="rx",interface="br3",zone="office"}', 'azb_wan_up{wan="wan1"} 1',
               'azb_wan_active{wan="wan1"} 1', "azb_ruleset_info{sha256=", 'azb_vm_running{vm="pos1"}')
    answers = []

    def scrape():
        res = subprocess.run(["curl", "-s", "--max-time", "5", "http://%s:9100/metrics" % mgmt], capture_output=True,
                             text=True, timeout=10, check=False)
        answers.append(res)
        return res.returncode == 0 and all(n in res.stdout for n in needles)

    # The textfile is rewritten every 15 s: an earlier test's WAN failover may still show for one round.
    ok = wait_for(scrape, 40, 2)
    body = answers[-1].stdout
    assert ok, "missing from the exporter's answer: %s" % [n for n in needles if n not in body]
    print("exporter: %d azb samples after %d scrapes" % (len([x for x in body.splitlines() if x.startswith("azb_")]),
                                                         len(answers)))


def scrape_value(mgmt, sample):
    """The value of one sample (name{labels}) in the exporter's answer, or None."""
    res = subprocess.run(["curl", "-s", "--max-time", "5", "http://%s:9100/metrics" % mgmt], capture_output=True,
                         text=True, timeout=10, check=False)
    for line in res.stdout.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return None


def test_nft_counters_per_policy_and_zone_pair_move_with_traffic(host):
    """A refused connection moves its policy's counter, an allowed one its zone pair's, as scraped."""
    mgmt = host.ansible.get_variables()["ansible_host"]
    policy = 'azb_policy_packets_total{policy="office-lab-ssh"}'
    pair = 'azb_zone_pair_packets_total{from="office",to="lab"}'
    host.run_test("systemctl start azb-metrics.service")
    before = dict((k, scrape_value(mgmt, k)) for k in (policy, pair))
    assert None not in before.values(), "counters missing from the exporter: %s" % before
    assert tcp_attempt(random.randint(30000, 39999)).startswith("refused")            # office-lab-ssh drops it
    assert tcp_attempt(random.randint(30000, 39999), dport=8000).startswith("refused")  # matrix lets it, RST back
    host.run_test("systemctl start azb-metrics.service")   # rewrite the textfile now, not in up to 15 s
    after = dict((k, scrape_value(mgmt, k)) for k in (policy, pair))
    print("nft counters scraped before / after traffic: %s / %s" % (before, after))
    assert after[policy] > before[policy] and after[pair] > before[pair]
    others = ('azb_wan_probe_failures{wan="wan1"}', 'azb_tunnel_up{interface="ovpn",kind="tun"}',
              'azb_vm_running{vm="pos1"}')
    assert all(scrape_value(mgmt, k) is not None for k in others), [k for k in others if scrape_value(mgmt, k) is None]


def test_exporter_does_not_answer_from_a_zone(host):
    mgmt = host.ansible.get_variables()["ansible_host"]
    for target in ("10.3.0.1", mgmt):
        res = in_ns(NS["c3"], ["curl", "-s", "--max-time", "3", "http://%s:9100/metrics" % target])
        assert res.returncode != 0 and "azb_" not in res.stdout, "the exporter answered c3 at %s" % target
    # The same client does reach the box (so the refusal is the exporter's binding and the firewall).
    assert in_ns(NS["c3"], ["ping", "-c", "1", "-W", "2", "10.3.0.1"]).returncode == 0


# -- a VM health restart ------------------------------------------------------------------------

def test_vm_restart_arrives_as_a_structured_event(host):
    """pos1 is always on: killed from outside, the health service starts it again and says so."""
    virsh = "virsh -c qemu:///system"
    assert wait_for(lambda: host.run("%s domstate pos1" % virsh).stdout.strip() == "running", 120, 1), \
        "pos1 does not run"
    seen = set(e["id"] for _h, e in syslog_events())
    t0 = time.monotonic()
    host.run_test("%s destroy pos1" % virsh)

    def new():
        # A loaded machine can also make the TCG guest miss its probes and be reset as hung: that is
        # another event; the one under test is the restart of the VM destroyed from outside.
        return matching([e for _h, e in syslog_events() if e["id"] not in seen], event="vm.restart", vm="pos1",
                        reason="was shut off")

    assert wait_for(new, 90, 0.5), "no vm.restart event for pos1 after it was destroyed: %s" % matching(
        [e for _h, e in syslog_events() if e["id"] not in seen], event="vm.restart")
    event = new()[0]
    print("pos1 destroyed -> vm.restart at the collector in %.1f s: %s" % (time.monotonic() - t0, json.dumps(event)))
    assert event["reason"] == "was shut off" and event["result"] == "ok" and event["source"] == "azb-vm-health"
    assert host.run("%s domstate pos1" % virsh).stdout.strip() == "running"
