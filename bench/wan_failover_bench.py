"""WAN failover benchmark (not a test): detection-and-switch time and flaps with default settings.

On a lab appliance (default lab-a4; `--appliance lab-aN` for another) converged with the
hypervisor, zones and wan roles and the health checks at their defaults (one probe every 200 ms in
round-robin over 3 ICMP targets and an HTTP probe, every 100 ms after a miss; down after 3 misses in a
row sent over 400 ms; waits adapted to the round trip, at most 300 ms; back after 5 answers + 10 s
hold-down; quorum 1), it measures from a client in br3:

  * link down (the lab's ISP link fault) and a silent blackhole (the ISP drops everything), N trials
    each: the time from the fault to the first new connection that leaves by wan2 (client view,
    curl with a 0.2 s limit, so +-0.2 s), and the service's own detection + switch time;
  * an intermittent-loss pattern (the ISP drops everything for 0.3 s of every 1.2 s) for 30 s:
    the number of WAN transitions (flaps);
  * the probes wan1 sends (ICMP echo requests and TCP SYNs counted at its ISP): per second on a
    healthy link and the busiest second under the loss pattern (the budget: 10 per WAN);

and prints them next to the published defaults of mwan3 (about 50 s) and pfSense's dpinger (about
14 s). Every probe is bounded; the appliance is left running unless --down is given.

    make collection   # the roles come from ANSIBLE_COLLECTIONS_PATH (default: build/collections)
    sudo .venv/bin/python -m bench.wan_failover_bench [--appliance lab-a4] [--trials 10] [--kinds blackhole] [--down]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from bench.lablib import REPO, converge, host_ssh, lab, lab_host, p95, sh

# the defaults the table is measured with: the model's, from the collection the bench converges with
sys.path.insert(0, os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections")).split(":")[0])
from ansible_collections.azblink.nfv.plugins.module_utils.wan.model import HEALTH_DEFAULTS  # noqa: E402

ECHO = "http://203.0.113.10/ip"
BLACKHOLE = """table inet azb_bench_fault {
  chain fwd_drop { type filter hook forward priority -10; iifname "cust0" drop; oifname "cust0" drop; }
  chain in_drop { type filter hook input priority -10; iifname "cust0" drop; }
}
"""
PROBE_COUNTER = """table inet azb_bench_probes {
  counter probes { }
  chain pre {
    type filter hook prerouting priority -300;
    iifname "cust0" ip saddr %s icmp type echo-request counter name probes
    iifname "cust0" ip saddr %s tcp flags & (syn | ack) == syn counter name probes
  }
}
"""
PUBLISHED = [("mwan3 (OpenWrt) defaults", 50.0), ("pfSense dpinger defaults", 14.0)]


def site_vars(k, wans):
    w1, w2 = wans
    health = {"targets": ["203.0.113.1", "203.0.113.2", "203.0.113.3"],
              "probes": [{"type": "http", "url": "http://203.0.113.10/"}]}
    return {
        "azb_zones": [
            {"name": "wan1", "role": "wan", "interfaces": ["wan1"], "address": [w1["address"]]},
            {"name": "wan2", "role": "wan", "interfaces": ["wan2"], "address": [w2["address"]]},
            {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["lc-bc3"],
             "address": ["10.3.0.1/24"]},
        ],
        "azb_management_sources": ["198.18.0.1/32"],
        "azb_zones_confirm_timeout": 30,
        "azb_wan_mode": "failover",
        "azb_wans": [
            {"name": "wan1", "interface": "wan1", "address": [w1["address"]], "gateway": w1["gateway"],
             "dns": ["203.0.113.53"], "health": health},
            {"name": "wan2", "interface": "wan2", "address": [w2["address"]], "gateway": w2["gateway"],
             "dns": ["203.0.113.53"], "health": health},
        ],
    }


class Bench(object):
    def __init__(self, app, inventory):
        self.app = app
        self.k = app.rsplit("a", 1)[1]
        self.inventory = inventory
        self.host = lab_host(inventory, app)
        self.wan1 = self.host["azb_lab_wans"][0]["address"].split("/")[0]
        self.wan2 = self.host["azb_lab_wans"][1]["address"].split("/")[0]
        self.client = "azb-a%s-c-bc3" % self.k
        self.isp1 = "azb-a%s-isp1" % self.k

    def ssh(self, cmd):
        return host_ssh(self.host, cmd, 30)

    def state(self):
        return json.loads(self.ssh("cat /run/azblink/wan-state.json") or "{}")

    def egress(self, max_time="0.2"):
        res = sh(["ip", "netns", "exec", self.client, "curl", "-s", "--max-time", max_time, ECHO], check=False)
        return res.stdout.strip() if res.returncode == 0 else None

    def wait_wan1(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.state().get("wans", {}).get("wan1", {}).get("up") and self.egress("1") == self.wan1:
                return
            time.sleep(0.5)
        raise SystemExit("wan1 did not come back within %d s" % seconds)

    def fault(self, kind, on):
        if kind == "link":
            lab("fault", "link", self.app, "1", "on" if on else "off")
        else:
            sh(["ip", "netns", "exec", self.isp1, "nft", "delete", "table", "inet", "azb_bench_fault"], check=False)
            if on:
                sh(["ip", "netns", "exec", self.isp1, "nft", "-f", "-"], data=BLACKHOLE)

    def trial(self, kind):
        self.wait_wan1()
        before = len(self.state().get("transitions", []))
        t0 = time.monotonic()
        self.fault(kind, True)
        seen = None
        while time.monotonic() - t0 < 10:
            if self.egress() == self.wan2:
                seen = time.monotonic() - t0
                break
        self.fault(kind, False)
        trans = [t for t in self.state().get("transitions", [])[before:] if t["wan"] == "wan1" and t["to"] == "down"]
        service = (trans[0]["detect_s"] + trans[0]["switch_s"]) if trans else None
        return seen, service

    def probes(self, on=True):
        """The count of wan1's probes seen at its ISP (a counter the bench adds there)."""
        if on:
            sh(["ip", "netns", "exec", self.isp1, "nft", "delete", "table", "inet", "azb_bench_probes"], check=False)
            sh(["ip", "netns", "exec", self.isp1, "nft", "-f", "-"], data=PROBE_COUNTER % (self.wan1, self.wan1))
        out = sh(["ip", "netns", "exec", self.isp1, "nft", "-j", "list", "counter", "inet", "azb_bench_probes",
                  "probes"]).stdout
        return [o["counter"]["packets"] for o in json.loads(out)["nftables"] if "counter" in o][0]

    def probe_rate(self, seconds=10):
        """wan1's probes per second on a healthy link, no client traffic."""
        self.wait_wan1()
        self.probes()
        time.sleep(seconds)
        return self.probes(False) / float(seconds)

    def flaps(self, seconds=30):
        """-> (transitions, the busiest second's probes) under the loss pattern."""
        self.wait_wan1()
        before = len(self.state().get("transitions", []))
        last, busiest = self.probes(), 0
        t0 = time.monotonic()
        tick = t0
        while time.monotonic() - t0 < seconds:
            self.fault("blackhole", True)
            time.sleep(0.3)
            self.fault("blackhole", False)
            time.sleep(0.9)
            now, count = time.monotonic(), self.probes(False)
            busiest = max(busiest, (count - last) / (now - tick))  # per second, over one 1.2 s cycle
            last, tick = count, now
        time.sleep(1)
        return len(self.state().get("transitions", [])[before:]), busiest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliance", default="lab-a4")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--flap-seconds", type=int, default=30)
    ap.add_argument("--skip-converge", action="store_true")
    ap.add_argument("--flaps-only", action="store_true", help="only the loss pattern")
    ap.add_argument("--kinds", default="link,blackhole", help="the faults to time (default: link,blackhole)")
    ap.add_argument("--down", action="store_true", help="remove the appliance afterwards")
    args = ap.parse_args()
    os.chdir(REPO)
    inventory = os.path.join(tempfile.gettempdir(), "azb-wan-bench-%s.yml" % args.appliance)
    lab("--inventory", inventory, "up", "--names", args.appliance, "--image", "nfv")
    b = Bench(args.appliance, inventory)
    lab("client", "add", args.appliance, "bc3", "--bridge", "br3", "--address", "10.3.0.50/24", "--gateway", "10.3.0.1")
    if not args.skip_converge:
        converge(inventory, args.appliance, "wan", ["azblink.nfv.hypervisor", "azblink.nfv.zones", "azblink.nfv.wan"],
                 site_vars(b.k, b.host["azb_lab_wans"]), 900)
    rate = b.probe_rate()
    print("wan1 probes on a healthy link: %.1f/s" % rate)
    if args.flaps_only:
        flaps, busiest = b.flaps(args.flap_seconds)
        print("flaps under 25%% bursty loss, %d s: %d; busiest cycle %.1f probes/s" % (args.flap_seconds, flaps, busiest))
        return 0
    results = {}
    for kind in args.kinds.split(","):
        seen, svc = [], []
        for i in range(args.trials):
            s, v = b.trial(kind)
            if s is None:
                raise SystemExit("%s trial %d: new connections did not move to wan2 within 10 s" % (kind, i + 1))
            seen.append(s)
            if v is not None:
                svc.append(v)
            print("  %-9s trial %2d: client %.2f s, service %s" % (kind, i + 1, s, "%.3f s" % v if v else "-"))
        results[kind] = (seen, svc)
    flaps, busiest = b.flaps(args.flap_seconds)
    print()
    print("WAN failover, %d trials each, default settings (%s); load average %s" % (
        args.trials, ", ".join("%s %s" % kv for kv in sorted(HEALTH_DEFAULTS.items())),
        " ".join("%.1f" % v for v in os.getloadavg())))
    print("%-34s %10s %10s %12s" % ("case", "median s", "p95 s", "vs target 2 s"))
    for kind, label in (("link", "ISP link down (client view)"), ("blackhole", "silent blackhole (client view)")):
        if kind not in results:
            continue
        seen, svc = results[kind]
        print("%-34s %10.2f %10.2f %12s" % (label, statistics.median(seen), p95(seen),
                                            "ok" if p95(seen) <= 2.0 else "MISSED"))
        if svc:
            print("%-34s %10.3f %10.3f %12s" % ("  same, service detect+switch", statistics.median(svc), p95(svc), ""))
    print("%-34s %10d %10s %12s" % ("flaps under 25%% bursty loss, %d s" % args.flap_seconds, flaps, "", "ok" if flaps == 0 else "FLAPPED"))
    print("%-34s %10.1f %10.1f %12s" % ("wan1 probes/s: healthy, busiest", rate, busiest,
                                        "ok" if max(rate, busiest) <= 10.5 else "OVER 10"))
    print()
    if "blackhole" in results:
        print("%-34s %10s %22s" % ("published default", "detect s", "this (blackhole median)"))
        bh = statistics.median(results["blackhole"][0])
        for name, secs in PUBLISHED:
            print("%-34s %10.0f %15.2f (%.0fx faster)" % (name, secs, bh, secs / bh))
    if args.down:
        lab("--inventory", inventory, "down", "--only", args.appliance)


if __name__ == "__main__":
    sys.exit(main())
