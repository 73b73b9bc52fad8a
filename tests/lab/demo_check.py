"""`make demo`'s traffic table: probe the converged reference site with traffic and print what held.

Clients of the lab (plugged in by `make demo` before the converge), the lab internet, the lab guest
VM and a road warrior on the internet send bounded probes through lab-aN; each line says what was
tried, what was expected and what happened. The one fault it makes (wan1's link down) it undoes.
"""
import os
import subprocess
import sys
import time

from tests.lab import roadwarrior
from tests.lab.azblab import topology, world

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM = "10.3.0.20"          # the lab guest VM app1 in the office zone (inventories/lab)


def in_ns(ns, argv, timeout=10):
    return subprocess.run(["ip", "netns", "exec", ns] + argv, capture_output=True, text=True,
                          timeout=timeout, check=False)


def tcp(ns, ip, port):
    return in_ns(ns, ["timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/%s/%d" % (ip, port)]).returncode == 0


def http(ns, url):
    res = in_ns(ns, ["curl", "-s", "--max-time", "3", url])
    return res.stdout.strip() if res.returncode == 0 else ""


def poll(fn, want, seconds):
    """fn() until it returns want (or seconds pass); the last value."""
    deadline = time.monotonic() + seconds
    got = fn()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.5)
        got = fn()
    return got


def failover(app, ns):
    """wan1's link cut at the ISP: the client's source address seen on the internet (then restored)."""
    world.isp_link(app.isps[0], False)
    try:
        return poll(lambda: http(ns, "http://%s/ip" % topology.INET_WEB), app.isps[1].wan_address, 15)
    finally:
        world.isp_link(app.isps[0], True)


def road_warrior(index):
    """alice's exported OpenVPN bundle from a namespace on the internet, then a ping to the office client."""
    bundle = os.path.join(REPO, "build/demo/vpn-export/lab-a%d/alice.ovpn" % index)
    ns, veth = "azb-a%d-rw" % index, "rwd%d" % index
    if not os.path.exists(bundle):
        return "no bundle"
    roadwarrior.netns_up(ns, "203.0.113.%d" % (240 + index), veth)
    proc = None
    try:
        proc, _log, ok = roadwarrior.openvpn_session(ns, bundle)
        if not ok:
            return "not connected"
        return "reached" if in_ns(ns, ["ping", "-c", "2", "-W", "2", "10.3.0.50"]).returncode == 0 else "unreached"
    finally:
        if proc:
            roadwarrior.stop(proc)
        roadwarrior.netns_down(ns, veth)


def main(index):
    app = topology.appliance(index)
    wan = app.isps[0].wan_address
    c = dict((label, topology.client_netns(index, label)) for label in ("c1", "web", "c3", "c4"))
    servers = [subprocess.Popen(["ip", "netns", "exec", c[label], sys.executable, "-m", "http.server", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
               for label, port in (("web", 8080), ("c1", 8000), ("c4", 22), ("c4", 80))]
    time.sleep(1.5)
    try:
        checks = [
            ("br3 client -> internet, source seen there", wan,
             http(c["c3"], "http://%s/ip" % topology.INET_WEB)),
            ("br3 client -> br1 client tcp/8000", "open", "open" if tcp(c["c3"], "10.1.0.50", 8000) else "closed"),
            ("br1 client -> br3 client tcp/8000", "closed", "open" if tcp(c["c1"], "10.3.0.50", 8000) else "closed"),
            ("br1 client -> internet", "closed", "open" if http(c["c1"], "http://%s/" % topology.INET_WEB) else "closed"),
            ("br3 -> br4 tcp/22 (declared policy)", "open", "open" if tcp(c["c3"], "10.4.0.50", 22) else "closed"),
            ("br3 -> br4 tcp/80 (not declared)", "closed", "open" if tcp(c["c3"], "10.4.0.50", 80) else "closed"),
            ("internet -> WAN tcp/80 (port forward to DMZ web)", "open",
             "open" if tcp(topology.INET_NS, wan, 80) else "closed"),
            ("internet -> WAN tcp/22 (box ssh)", "closed", "open" if tcp(topology.INET_NS, wan, 22) else "closed"),
            ("br3 client -> VM app1 tcp/80 (same zone)", "open", "open" if tcp(c["c3"], VM, 80) else "closed"),
            ("br1 client -> VM app1 tcp/80", "closed", "open" if tcp(c["c1"], VM, 80) else "closed"),
            ("road warrior alice (OpenVPN, azb_ca cert) -> br3 client", "reached", road_warrior(index)),
            ("wan1 link cut: br3 client -> internet, source seen there", app.isps[1].wan_address,
             failover(app, c["c3"])),
        ]
    finally:
        for s in servers:
            s.terminate()
            s.wait(5)
    width = max(len(n) for n, _e, _g in checks)
    failed = 0
    print("\nVerified on %s by traffic:" % app.name)
    for name, expected, got in checks:
        ok = expected == got
        failed += not ok
        print("  %s  %-*s  expected %-13s got %s" % ("PASS" if ok else "FAIL", width, name, expected, got or "-"))
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
