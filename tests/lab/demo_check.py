"""`make demo`'s last step: probe the converged reference site with traffic and print what held.

Clients of the lab (plugged in by `make demo` before the converge) and the lab internet send
bounded probes through lab-aN; each line says what was tried, what was expected and what happened.
"""
import subprocess
import sys
import time

from tests.lab.azblab import topology


def in_ns(ns, argv, timeout=10):
    return subprocess.run(["ip", "netns", "exec", ns] + argv, capture_output=True, text=True,
                          timeout=timeout, check=False)


def tcp(ns, ip, port):
    return in_ns(ns, ["timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/%s/%d" % (ip, port)]).returncode == 0


def http(ns, url):
    res = in_ns(ns, ["curl", "-s", "--max-time", "3", url])
    return res.stdout.strip() if res.returncode == 0 else ""


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
