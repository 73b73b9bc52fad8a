"""Service-chain benchmark (not a test): what a chain costs, and how fast a failed hop is bypassed.

On a lab appliance (default lab-a14) converged with the hypervisor, zones, wan and chains roles,
from a client in br3 to iperf3 servers this script starts in the lab internet (203.0.113.10, its
own ports, stopped by PID), side by side in one run:

  * throughput (iperf3 -t 3, best of 2 rounds in which the paths alternate) and TCP connect latency (median of 20) of the direct path
    (no chain) and of chains of 1, 2 and 3 routed nftables hops, of a chain through the Suricata
    IPS (inline, NFQUEUE) and of a chain through a VM hop (the lab guest under libvirt, routing
    between its two NICs; TCG in the lab, no KVM). Each path is its own chain selected by
    destination port, all leaving by wan1, so they differ only in their hops;
  * hop failure to restored traffic on a bypass hop, N trials each for kill (SIGKILL of the VNF's
    unit) and hang (its forwarding stopped, links up): from the fault (box clock) to the first new
    connection that gets through (client, TCP connect with 0.1 s limit), median and p95.

Targets (issue 10): each routed namespace hop keeps >= 70 % of direct throughput; failure to bypass
median <= 1 s, p95 <= 2 s. Every probe is bounded; the appliance is left running unless --down.
The converge also runs the workloads role (the VM hop's guest: this tree's lab guest, built into
build/lab-guest and copied to the box first).

    make collection
    sudo .venv/bin/python -m bench.chain_bench [--appliance lab-a14] [--trials 10] [--skip-converge] [--down]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.lablib import REPO, converge, host_ssh, lab, lab_host, p95, sh

SERVER = "203.0.113.10"
INET_NS = "azb-inet"
# path name -> (destination port, hops as lists of VNF names)
PATHS = [("direct", 5310, None), ("1 hop", 5311, [["r1a"]]), ("2 hops", 5312, [["r2a"], ["r2b"]]),
         ("3 hops", 5313, [["r3a"], ["r3b"], ["r3c"]]), ("IPS", 5314, [["ipsb"]]), ("VM hop", 5316, [["vmh"]])]
FAIL_PORT = 5315
GUEST_DIR = "/var/lib/azblink/chain-bench-guest"
# TCG forwards slowly: the VM hop's probes as in the chain scenario.
VM_HEALTH = {"interval_ms": 200, "timeout_ms": 800, "down": 3, "up": 2}
PROBER = """import socket, sys, time
start, state, failed_late = %f, None, False
while time.time() < start + 12:
    s = socket.socket(); s.settimeout(0.1)
    try:
        s.connect((%r, %d)); now = "S"
    except OSError:
        now = "F"
    finally:
        s.close()
    if now != state:
        state = now
        print(now, time.time(), flush=True)
        failed_late = failed_late or (now == "F" and time.time() > start + 0.5)
    if failed_late and now == "S":
        break
    time.sleep(0.02)
"""


def vm_guest(vnfs):
    """The VM hop's guest (NICs, command line) from the chain model, as the scenario's filter gives it."""
    sys.path.insert(0, os.path.join(REPO, "build", "collections"))
    from ansible_collections.azblink.nfv.plugins.filter.azb_chain import azb_chain_vm_guests
    return azb_chain_vm_guests(vnfs)["benchvm"]


def site_vars(wans):
    w1, w2 = wans
    vnfs = [{"name": n, "kind": "nftables", "config": {"policy": "accept"}}
            for n in ("r1a", "r2a", "r2b", "r3a", "r3b", "r3c", "fk")]
    vnfs.append({"name": "ipsb", "kind": "suricata", "config": {"ips_mode": "ips", "rules": [
        'alert http any any -> any any (msg:"bench"; content:"azb-bench-evil"; http_uri; sid:1000101;)']}})
    vnfs.append({"name": "vmh", "kind": "vm", "config": {"vm": "benchvm"}})
    guest = vm_guest(vnfs)
    vms = [{"name": "benchvm", "profile": "linux-server", "memory": 128, "autostart": True, "disks": [],
            "nics": guest["nics"],
            "boot": {"kernel": GUEST_DIR + "/vmlinuz", "initrd": GUEST_DIR + "/initrd.img",
                     "cmdline": "console=ttyS0,115200 quiet mitigations=off panic=5 azb.nodisk azb.nowatchdog "
                                "azb.hostname=benchvm " + guest["cmdline"]}}]
    chains = []
    for name, port, hops in PATHS:
        if hops:
            chains.append({"name": "bench-%d" % port, "from": ["office"], "proto": "tcp", "ports": [port],
                           "hops": [dict({"name": "h%d" % i, "instances": h, "on_failure": "bypass"},
                                         **({"health": VM_HEALTH} if h == ["vmh"] else {}))
                                    for i, h in enumerate(hops)], "exit": {"via": "wan1"}})
    chains.append({"name": "bench-fail", "from": ["office"], "proto": "tcp", "ports": [FAIL_PORT],
                   "hops": [{"name": "fw", "instances": ["fk"], "on_failure": "bypass"}], "exit": {"via": "wan1"}})
    return {
        "azb_zones": [
            {"name": "wan1", "role": "wan", "interfaces": ["wan1"], "address": [w1["address"]]},
            {"name": "wan2", "role": "wan", "interfaces": ["wan2"], "address": [w2["address"]]},
            {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["lc-bc3"], "address": ["10.3.0.1/24"]},
        ],
        "azb_management_sources": ["198.18.0.1/32"],
        "azb_zones_confirm_timeout": 30,
        "azb_wans": [
            {"name": "wan1", "interface": "wan1", "address": [w1["address"]], "gateway": w1["gateway"],
             "health": {"targets": ["203.0.113.1", "203.0.113.2"]}},
            {"name": "wan2", "interface": "wan2", "address": [w2["address"]], "gateway": w2["gateway"],
             "health": {"targets": ["203.0.113.1", "203.0.113.2"]}},
        ],
        "azb_vnfs": vnfs,
        "azb_chains": chains,
        "azb_vms": vms,
    }


class Bench(object):
    def __init__(self, app, inventory):
        self.app = app
        self.k = app.rsplit("a", 1)[1]
        self.host = lab_host(inventory, app)
        self.client = "azb-a%s-c-bc3" % self.k
        self.servers = []

    def ssh(self, cmd):
        return host_ssh(self.host, cmd, 60)

    def push_guest(self):
        """This tree's lab guest (azb.ip1, azb.forward, azb.return) onto the box, for the VM hop."""
        out = os.path.join(REPO, "build", "lab-guest")
        sh(["bash", os.path.join(REPO, "tests/lab/guest/build.sh"), out], timeout=900)
        self.ssh("mkdir -p %s" % GUEST_DIR)
        for name in ("vmlinuz", "initrd.img"):
            sh(["scp", "-q", "-i", self.host["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", os.path.join(out, name),
                "%s@%s:%s/%s" % (self.host["ansible_user"], self.host["ansible_host"], GUEST_DIR, name)],
               timeout=120)

    def state(self):
        return json.loads(self.ssh("cat /run/azblink/chain-state.json") or "{}")

    def start_servers(self):
        for _name, port, _hops in PATHS + [("fail", FAIL_PORT, None)]:
            self.servers.append(subprocess.Popen(
                ["ip", "netns", "exec", INET_NS, "timeout", "1800", "iperf3", "-s", "-B", SERVER, "-p", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)

    def stop_servers(self):
        for p in self.servers:
            p.terminate()
            p.wait(5)

    def connect_ms(self, port, timeout=0.1):
        code = ("import socket,sys,time\nt=time.monotonic()\ntry:\n s=socket.create_connection(('%s',%d),%s)\n"
                " print((time.monotonic()-t)*1000); s.close()\nexcept OSError: sys.exit(1)\n" % (SERVER, port, timeout))
        res = sh(["ip", "netns", "exec", self.client, "python3", "-c", code], check=False, timeout=10)
        return float(res.stdout) if res.returncode == 0 else None

    def iperf(self, port):
        """Mbit/s of one bounded iperf3 run (0 when it fails)."""
        res = sh(["ip", "netns", "exec", self.client, "iperf3", "-c", SERVER, "-p", str(port), "-t", "3", "-J"],
                 check=False, timeout=30)
        time.sleep(0.5)
        return json.loads(res.stdout)["end"]["sum_received"]["bits_per_second"] / 1e6 if res.returncode == 0 else 0.0

    def measure(self, paths, rounds=2):
        """(name, best Mbit/s, median connect ms) per path, the paths alternating in each round (a load
        swing on the shared machine hits them all, not the one that happened to run then)."""
        best = dict((name, 0.0) for name, _port, _hops in paths)
        lat = dict((name, []) for name, _port, _hops in paths)
        for _round in range(rounds):
            for name, port, _hops in paths:
                best[name] = max(best[name], self.iperf(port))
                lat[name] += [x for x in (self.connect_ms(port, 1.0) for _i in range(10)) if x is not None]
        return [(name, best[name], statistics.median(lat[name]) if lat[name] else float("nan"))
                for name, _port, _hops in paths]

    def box_time(self, cmd):
        return float(self.ssh("date +%%s.%%N; %s" % cmd).split()[0])

    def wait_up(self, name, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if name in self.state().get("alive", []) and self.connect_ms(FAIL_PORT, 1.0) is not None:
                return
            time.sleep(0.5)
        raise SystemExit("%s did not come back within %d s" % (name, seconds))

    def trial(self, kind):
        self.wait_up("fk")
        # One prober in the client's namespace (no process start per attempt), started before the
        # fault: new connections every 20 ms, 0.1 s each; it prints the moment one gets through after
        # the path failed (this machine's clock, which the lab's boxes share).
        prober = subprocess.Popen(["ip", "netns", "exec", self.client, "python3", "-c",
                                   PROBER % (time.time(), SERVER, FAIL_PORT)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)
        if kind == "kill":
            t0 = self.box_time("systemctl kill -s KILL azb-vnf@fk.service")
        else:
            t0 = self.box_time("ip netns exec azbv-fk sysctl -q -w net.ipv4.ip_forward=0")
        out, _err = prober.communicate(timeout=30)
        # The first failure at or after the fault, then the first success after it.
        events = [(line.split()[0], float(line.split()[1])) for line in out.splitlines() if line.strip()]
        took, failed = None, False
        for what, when in events:
            failed = failed or (what == "F" and when >= t0 - 0.05)
            if failed and what == "S":
                took = when - t0
                break
        if kind == "hang":
            self.ssh("ip netns exec azbv-fk sysctl -q -w net.ipv4.ip_forward=1")
        downs = [t for t in self.state().get("transitions", []) if t["instance"] == "fk" and t["to"] == "down"
                 and t.get("applied_at", 0) >= t0]
        service = downs[0]["applied_at"] - t0 if downs else None
        return took, service


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliance", default="lab-a14")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2, help="data-path rounds (the paths alternate in each)")
    ap.add_argument("--skip-converge", action="store_true")
    ap.add_argument("--failover-only", action="store_true", help="only the hop-failure trials")
    ap.add_argument("--down", action="store_true", help="remove the appliance afterwards")
    args = ap.parse_args()
    os.chdir(REPO)
    inventory = os.path.join(tempfile.gettempdir(), "azb-chain-bench-%s.yml" % args.appliance)
    lab("--inventory", inventory, "up", "--names", args.appliance, "--image", "nfv")
    b = Bench(args.appliance, inventory)
    lab("client", "add", args.appliance, "bc3", "--bridge", "br3", "--address", "10.3.0.50/24", "--gateway",
        "10.3.0.1", check=False)
    site = site_vars(b.host["azb_lab_wans"])
    if not args.skip_converge:
        b.push_guest()
        # workloads after chains: the VM's NICs join the bridges azb-vnf@vmh made.
        converge(inventory, args.appliance, "chain", ["azblink.nfv.hypervisor", "azblink.nfv.zones", "azblink.nfv.wan",
                                                      "azblink.nfv.chains", "azblink.nfv.workloads"],
                 site, 1200, collections=True)
    b.start_servers()
    try:
        # Every instance up (the VM's guest boots under TCG: allow it the time).
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(b.state().get("alive", [])) < len(site["azb_vnfs"]):
            time.sleep(1)
        print("instances up: %s" % sorted(b.state().get("alive", [])))
        print("load average (1, 5, 15 min) at the start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        rows = [] if args.failover_only else b.measure(PATHS, args.rounds)
        fails = {}
        for kind in ("kill", "hang"):
            times, service = [], []
            for i in range(args.trials):
                t, svc = b.trial(kind)
                if t is None:
                    print("  %-4s trial %2d: the client saw no outage and recovery within 12 s (service: %s)"
                          % (kind, i + 1, "%.2f s" % svc if svc is not None else "no transition"))
                    continue
                times.append(t)
                if svc is not None:
                    service.append(svc)
                print("  %-4s trial %2d: client through after %.2f s; maps rewritten %s after the fault"
                      % (kind, i + 1, t, "%.2f s" % svc if svc is not None else "-"))
            fails[kind] = (times, service)
    finally:
        b.stop_servers()
    if args.failover_only:
        rows = []
    direct = rows[0][1] if rows else 1.0
    print()
    print("Service chain data path (client br3 -> %s, iperf3 -t 3 best of %d rounds, the paths alternating; TCP connect median of %d)"
          % (SERVER, args.rounds, 10 * args.rounds))
    print("%-8s %12s %10s %14s %10s" % ("path", "Mbit/s", "% direct", "connect ms", "added ms"))
    for name, mbps, lat in rows:
        print("%-8s %12.0f %9.0f%% %14.2f %+10.2f" % (name, mbps, 100.0 * mbps / direct, lat, lat - rows[0][2]))
    per_hop = [(rows[i][1] / rows[i - 1][1] * 100.0) if rows[i - 1][1] else 0 for i in (1, 2, 3)] if rows else []
    print("each routed hop keeps %s of the previous path's throughput (target >= 70%%)"
          % ", ".join("%.0f%%" % x for x in per_hop))
    print()
    print("Hop failure -> new connections bypass it (%d trials; health 100 ms interval, 300 ms timeout, 3 down)"
          % args.trials)
    print("%-6s %-34s %8s %8s %8s   (target: median <= 1 s, p95 <= 2 s)" % ("fault", "measured", "median", "p95", "max"))
    for kind, (times, service) in fails.items():
        for what, vals in (("client: a new connection gets through", times),
                           ("box: the service rewrote the maps", service)):
            if vals:
                print("%-6s %-34s %7.2fs %7.2fs %7.2fs" % (kind, what[:34], statistics.median(vals), p95(vals), max(vals)))
    print("load average (1, 5, 15 min) at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    if args.down:
        lab("--inventory", inventory, "down", "--only", args.appliance)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
