"""The HA scenario's pair and traffic, shared by its tests and bench/ha_bench.py: who is master,
pulling a node's power, the gateway's silence seen by a client, a server-driven TCP session, which
cable new connections leave by."""
import json
import os
import re
import subprocess
import sys
import time

import testinfra

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
sys.path.insert(0, REPO)
from tests.lab import capture, scenario  # noqa: E402 (the repository is on the path only from here)
from tests.lab.scenario import wait_for  # noqa: E402
VARS = scenario.load_vars(HERE)
PAIR = VARS["azb_ha"]["pair"]
GW = VARS["azb_ha"]["vips"][0]["address"].split("/")[0]
WAN_VIP = VARS["azb_ha"]["vips"][1]["address"].split("/")[0]
CLIENT = "azb-seg-%s-c-%s" % (VARS["ha_client"]["segment"], VARS["ha_client"]["label"])
WAN_SEG = "azb-seg-hawan"
SRV_NS = VARS["ha_server_netns"]
SRV = VARS["ha_server_address"]
TICK_PORT = 7070
WEB = "203.0.113.10"
PY = os.path.join(REPO, ".venv/bin/python")
TICKER = os.path.join(HERE, "ticker.py")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE")


def node(name):
    """The node over Molecule's inventory, or (benchmarks) over SSH with the lab's key."""
    if INVENTORY:
        return testinfra.get_host("ansible://%s" % name, ansible_inventory=INVENTORY)
    from tests.lab.azblab import system, topology
    app = topology.appliance(int(idx(name)))
    return testinfra.get_host("ssh://root@%s" % app.mgmt_address,
                              ssh_identity_file=os.path.join(system.STATE_DIR, "ssh", "id_ed25519"),
                              ssh_extra_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")


def idx(name):
    return name.rsplit("a", 1)[1]


def in_ns(ns, argv, timeout=30):
    return scenario.in_ns(ns, argv, timeout)


def lab(*args, timeout=180):
    subprocess.run([PY, "-m", "tests.lab.azblab"] + list(args), cwd=REPO, check=True, capture_output=True,
                   timeout=timeout)


def ha_state(name):
    res = node(name).run("cat /run/azblink/ha-state")
    return res.stdout.split()[0] if res.rc == 0 and res.stdout.strip() else None


def master():
    states = dict((n, ha_state(n)) for n in PAIR)
    masters = [n for n, s in states.items() if s == "MASTER"]
    assert len(masters) == 1, states
    return masters[0]


def syn_seen_on_cable(name, send):
    """A new connection's SYN, from the shared WAN address, on this node's cable to the WAN segment."""
    match = "tcp[tcpflags] & tcp-syn != 0 and src host %s and dst host %s" % (WAN_VIP, WEB)
    cap = capture.start(WAN_SEG, "m-a%s" % idx(name), match, 10, 1)
    seen_by_server = send()
    return seen_by_server, len(capture.packets(cap, timeout=20)) == 1


def curl_ip():
    return in_ns(CLIENT, ["curl", "-s", "-m", "3", "http://%s/ip" % WEB]).stdout.strip()


def outage(ping_out):
    """The longest time between two replies of the gateway (ping -D timestamps), in seconds."""
    stamps = [float(t) for t in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", ping_out, re.M)]
    return max(b - a for a, b in zip(stamps, stamps[1:])) if len(stamps) > 1 else None


def takeover():
    old = master()
    new = [n for n in PAIR if n != old][0]
    session = subprocess.Popen(["ip", "netns", "exec", CLIENT, sys.executable, TICKER, "listen", SRV, str(TICK_PORT),
                                "--seconds", "12"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pinger = subprocess.Popen(["ip", "netns", "exec", CLIENT, "ping", "-D", "-n", "-i", "0.05", "-W", "1", "-w", "20",
                               GW], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(2.0)  # the session is established and synced, the pinger has a baseline
    lab("halt", "--hard", old)
    assert wait_for(lambda: ha_state(new) == "MASTER", 15, 0.2), "%s did not take over" % new
    time.sleep(1.0)  # replies from the new master after the gap
    pinger.terminate()
    out, _err = pinger.communicate(timeout=10)
    silence = outage(out)
    tick, err = session.communicate(timeout=30)
    tick = json.loads(tick) if tick.strip() else {"error": err}
    seen, on_cable = syn_seen_on_cable(new, curl_ip)
    return old, new, silence, tick, (seen, on_cable)


def diagnose():
    """What each node and the segments hold, and where one new connection's packets go (printed when a
    check of new connections fails, so a CI log shows the cause)."""
    caps = [(p, capture.start(WAN_SEG, p, ["-e", "host", WEB], 8, 20)) for p in ("m-a%s" % idx(n) for n in PAIR)]
    print("\n== diagnosis at %s: curl -> %r" % (time.strftime("%H:%M:%S"), curl_ip()))
    for port, cap in caps:
        cap.terminate()
        print("-- frames to/from %s on the WAN segment's %s:\n%s" % (WEB, port, "\n".join(capture.packets(cap))))
    for n in PAIR:
        for cmd in ("cat /run/azblink/ha-state", "ip -br addr", "ip neigh", "conntrack -L -d %s" % WEB,
                    "journalctl -b --no-pager -o short-precise | grep -E 'Keepalived|azb-ha|conntrack' | tail -30"):
            res = node(n).run(cmd)
            print("-- %s: %s\n%s%s" % (n, cmd, res.stdout, res.stderr))
    for ns in (WAN_SEG, CLIENT):
        print("-- %s: ip neigh\n%s" % (ns, in_ns(ns, ["ip", "neigh"]).stdout))


def facts():
    """One line per node for an assertion message (CI shows only the end of a log): its HA state, whether
    the shared-address NAT is loaded, its newest flows to the web server (which address they left with)."""
    out = []
    for n in PAIR:
        h = node(n)
        nat = h.run("systemctl is-active azb-ha-nat; nft list table ip azblink_ha | grep -c 'snat to'")
        flows = h.run("conntrack -L -p tcp -d %s --dport 80 2>/dev/null | tail -2" % WEB).stdout
        out.append("%s: %s nat=%s flows=%s" % (n, ha_state(n), " ".join(nat.stdout.split()),
                                               " | ".join(re.sub(r"\s+", " ", f) for f in flows.splitlines())))
    return "; ".join(out)


def egress_failure(what, seen, on_cable, new):
    """The message of a failed new-connection check, with the pair's facts; the full diagnosis goes to the log."""
    diagnose()
    return "%s: a new connection must leave from %s by %s's cable (the server saw %r, SYN on that cable: %s) -- %s" \
        % (what, WAN_VIP, new, seen, on_cable, facts())


def boot_back_as_backup(old, new):
    lab("restart", old)
    assert wait_for(lambda: ha_state(old) == "BACKUP", 90, 1), "%s did not come back as backup" % old
    time.sleep(3.0)  # several adverts: a preempting node would have taken the addresses by now
    assert ha_state(new) == "MASTER", "the returning node took the gateway back (preemption is off)"
    seen, on_cable = syn_seen_on_cable(new, curl_ip)
    assert seen == WAN_VIP and on_cable, egress_failure("after %s returned" % old, seen, on_cable, new)


def start_ticker_server(seconds=900):
    """Our server's TCP ticker (stop it by PID)."""
    return subprocess.Popen(["ip", "netns", "exec", SRV_NS, sys.executable, TICKER, "serve", SRV, str(TICK_PORT),
                             "--seconds", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
