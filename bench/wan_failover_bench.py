"""WAN failover benchmark (not a test): detection-and-switch time and flaps with default settings.

On a lab appliance (default lab-a4; lab-a3 when the wan scenario is not running) converged with the
hypervisor, zones and wan roles and the health checks at their defaults (300 ms interval and
timeout, 3 failed rounds, 5 good rounds + 10 s hold-down, quorum 1), it measures from a client in
br3:

  * link down (the lab's ISP link fault) and a silent blackhole (the ISP drops everything), N trials
    each: the time from the fault to the first new connection that leaves by wan2 (client view,
    curl with a 0.2 s limit, so +-0.2 s), and the service's own detection + switch time;
  * an intermittent-loss pattern (the ISP drops everything for 0.3 s of every 1.2 s) for 30 s:
    the number of WAN transitions (flaps);

and prints them next to the published defaults of mwan3 (about 50 s) and pfSense's dpinger (about
14 s). Every probe is bounded; the appliance is left running unless --down is given.

    make collection   # the roles come from ANSIBLE_COLLECTIONS_PATH (default: build/collections)
    sudo .venv/bin/python -m bench.wan_failover_bench [--appliance lab-a4] [--trials 10] [--down]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from bench.lablib import REPO, converge, host_ssh, lab, lab_host, p95, sh

ECHO = "http://203.0.113.10/ip"
BLACKHOLE = """table inet azb_bench_fault {
  chain fwd_drop { type filter hook forward priority -10; iifname "cust0" drop; oifname "cust0" drop; }
  chain in_drop { type filter hook input priority -10; iifname "cust0" drop; }
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

    def flaps(self, seconds=30):
        self.wait_wan1()
        before = len(self.state().get("transitions", []))
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            self.fault("blackhole", True)
            time.sleep(0.3)
            self.fault("blackhole", False)
            time.sleep(0.9)
        time.sleep(1)
        return len(self.state().get("transitions", [])[before:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliance", default="lab-a4")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--flap-seconds", type=int, default=30)
    ap.add_argument("--skip-converge", action="store_true")
    ap.add_argument("--flaps-only", action="store_true", help="only the loss pattern")
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
    if args.flaps_only:
        print("flaps under 25%% bursty loss, %d s: %d" % (args.flap_seconds, b.flaps(args.flap_seconds)))
        return 0
    results = {}
    for kind in ("link", "blackhole"):
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
    flaps = b.flaps(args.flap_seconds)
    print()
    print("WAN failover, %d trials each, default settings (interval 300 ms, timeout 300 ms, down 3, up 5, "
          "hold-down 10 s, quorum 1)" % args.trials)
    print("%-34s %10s %10s %12s" % ("case", "median s", "p95 s", "vs target 2 s"))
    for kind, label in (("link", "ISP link down (client view)"), ("blackhole", "silent blackhole (client view)")):
        seen, svc = results[kind]
        print("%-34s %10.2f %10.2f %12s" % (label, statistics.median(seen), p95(seen),
                                            "ok" if p95(seen) <= 2.0 else "MISSED"))
        if svc:
            print("%-34s %10.3f %10.3f %12s" % ("  same, service detect+switch", statistics.median(svc), p95(svc), ""))
    print("%-34s %10d %10s %12s" % ("flaps under 25%% bursty loss, %d s" % args.flap_seconds, flaps, "", "ok" if flaps == 0 else "FLAPPED"))
    print()
    print("%-34s %10s %22s" % ("published default", "detect s", "this (blackhole median)"))
    bh = statistics.median(results["blackhole"][0])
    for name, secs in PUBLISHED:
        print("%-34s %10.0f %15.2f (%.0fx faster)" % (name, secs, bh, secs / bh))
    if args.down:
        lab("--inventory", inventory, "down", "--only", args.appliance)


if __name__ == "__main__":
    sys.exit(main())
