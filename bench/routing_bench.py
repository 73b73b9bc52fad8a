"""Routing benchmark (not a test): reroute after a silent cable cut, and applying a one-line change.

On lab-a17 (A), lab-a18 (B), lab-a19 (C), prepared and converged as the Molecule scenario `routing`
(a ring of cables, OSPF hello 1 s / dead 4 s, BFD 100 ms x 3 on A-C only), it measures:

  * reroute: the A-C cable (BFD) and the A-B cable (OSPF timers alone) are cut silently, N trials
    each, while a client behind A pings a client behind the far end every 10 ms: the time from the
    cut to the first reply that came back the other way. Median and p95, side by side;
  * apply: A gets 1,000 static routes and a 1,000-entry prefix-list; then one static route is added,
    by azb_routing (an ad-hoc Ansible run, with Ansible's own floor - a `ping` - measured apart) and
    by hand (the same frr.conf copied in, `frr-reload.py --reload` run directly), N trials each.

Targets (issue 11): BFD reroute median <= 0.5 s, p95 <= 1 s; apply within 2x of the hand-run reload.

    make collection
    sudo .venv/bin/python -m bench.routing_bench [--trials 10] [--skip-setup] [--down]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from tests.lab.azblab import links as lab_links
from tests.lab.azblab import topology as lab_topology

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv", "bin", "python")
BIN = os.path.join(REPO, ".venv", "bin")
SCEN = os.path.join(REPO, "molecule", "routing")
APPS = ["lab-a17", "lab-a18", "lab-a19"]
KEY = "/var/lib/azblink-lab/ssh/id_ed25519"
CLIENT = {"lab-a17": ("azb-a17-c-c3", "10.17.3.50"), "lab-a18": ("azb-a18-c-c3", "10.18.3.50"),
          "lab-a19": ("azb-a19-c-c3", "10.19.3.50")}
TTL_DIRECT, TTL_DETOUR = 62, 61


def sh(argv, check=True, timeout=900, env=None, data=None):
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env, input=data,
                         cwd=REPO)
    if check and res.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(argv), res.stdout[-3000:], res.stderr[-3000:]))
    return res


def lab(*args, check=True):
    return sh([PY, "-m", "tests.lab.azblab"] + list(args), check=check)


def box(name, cmd, data=None, timeout=300):
    addr = "198.18.0.%d" % (10 + int(name.rsplit("a", 1)[1]))
    return sh(["ssh", "-i", KEY, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "root@" + addr, cmd], data=data, timeout=timeout)


def ansible_env(inv_dir):
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), MOLECULE_PROJECT_DIRECTORY=REPO,
               MOLECULE_EPHEMERAL_DIRECTORY=inv_dir, ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_COLLECTIONS_PATH=env.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build/collections")),
               PATH=BIN + ":" + env.get("PATH", ""))
    return env


def setup(inv_dir):
    inv = os.path.join(inv_dir, "lab-inventory.yml")
    lab("--inventory", inv, "up", "--names", *APPS)
    env = ansible_env(inv_dir)
    for play in ("prepare.yml", "converge.yml"):
        sh([os.path.join(BIN, "ansible-playbook"), "-i", inv, os.path.join(SCEN, play)], env=env, timeout=1800)
    return inv


def ping_ttl(src, dst):
    res = sh(["ip", "netns", "exec", CLIENT[src][0], "ping", "-n", "-c", "1", "-W", "1", CLIENT[dst][1]],
             check=False)
    mt = re.search(r"ttl=(\d+)", res.stdout)
    return int(mt.group(1)) if mt else None


def wait(fn, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if fn():
            return True
        time.sleep(0.3)
    return False


def bfd_up(name):
    peers = json.loads(box(name, "vtysh -c 'show bfd peers json'").stdout or "[]")
    return peers and all(p.get("status") == "up" for p in peers)


def reroute_once(a, b):
    """Seconds from the silent cut of a-b to the first reply from b's client via the third box."""
    pinger = subprocess.Popen(["ip", "netns", "exec", CLIENT[a][0], "ping", "-n", "-D", "-i", "0.01", "-W", "1",
                               "-w", "12", CLIENT[b][1]], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    cable = lab_topology.link(int(a.rsplit("a", 1)[1]), int(b.rsplit("a", 1)[1]))
    t_cut = time.time()
    lab_links.cut(cable, True)  # in-process: the cut lands at t_cut, no interpreter start in between
    out = pinger.communicate(timeout=30)[0]
    lab_links.cut(cable, False)
    for line in out.splitlines():
        mt = re.match(r"\[(\d+\.\d+)\].*ttl=(\d+)", line)
        if mt and float(mt.group(1)) > t_cut and int(mt.group(2)) == TTL_DETOUR:
            return float(mt.group(1)) - t_cut
    return None


def settle(a, b):
    if not wait(lambda: ping_ttl(a, b) == TTL_DIRECT, 30):
        raise SystemExit("traffic did not return to the %s-%s cable" % (a, b))
    wait(lambda: bfd_up("lab-a17") and bfd_up("lab-a19"), 15)
    time.sleep(2)  # OSPF's SPF hold-down back to its initial value


def stats(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return float("nan"), float("nan")
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return statistics.median(xs), p95


def bench_reroute(trials):
    rows = []
    for label, a, b in (("OSPF + BFD 100 ms x 3 (A-C)", "lab-a17", "lab-a19"),
                        ("OSPF timers alone, hello 1 s / dead 4 s (A-B)", "lab-a17", "lab-a18")):
        times = []
        for _ in range(trials):
            settle(a, b)
            times.append(reroute_once(a, b))
        settle(a, b)
        med, p95 = stats(times)
        rows.append((label, med, p95, sum(t is None for t in times), times))
    return rows


def big_args(inv_dir, extra_route):
    args = scenario_args()
    routes = [{"prefix": "10.%d.%d.0/24" % (100 + i // 256, i % 256), "blackhole": True} for i in range(1000)]
    if extra_route:
        routes.append({"prefix": "10.250.0.0/24", "blackhole": True})
    args["static_routes"] = routes
    args["prefix_lists"] = [{"name": "big", "entries": [
        {"prefix": "172.%d.%d.0/24" % (16 + i // 256, i % 256), "action": "deny" if i % 2 else "permit"}
        for i in range(1000)]}]
    return args


def run_module(inv, inv_dir, args):
    t0 = time.time()
    sh([os.path.join(BIN, "ansible"), "lab-a17", "-i", inv, "-m", "azblink.nfv.azb_routing",
        "-a", json.dumps(args)], env=ansible_env(inv_dir))
    return time.time() - t0


def scenario_args():
    with open(os.path.join(SCEN, "vars.yml")) as fh:
        v = yaml.safe_load(fh)
    return dict(v["rt_routing"]["lab-a17"], zones=v["rt_zones"]["lab-a17"])


def bench_apply(inv, inv_dir, trials):
    env = ansible_env(inv_dir)
    run_module(inv, inv_dir, big_args(inv_dir, False))  # the 1,000 + 1,000 base
    floor = []
    for _ in range(trials):
        t0 = time.time()
        sh([os.path.join(BIN, "ansible"), "lab-a17", "-i", inv, "-m", "ansible.builtin.ping"], env=env)
        floor.append(time.time() - t0)
    module = []
    for i in range(trials):
        module.append(run_module(inv, inv_dir, big_args(inv_dir, i % 2 == 0)))
    # By hand: the file as the module wrote it, with the line toggled the same way, and frr-reload.py.
    conf = box("lab-a17", "cat /etc/frr/frr.conf").stdout
    line = "ip route 10.250.0.0/24 blackhole\n"
    base = conf.replace(line, "")
    added = base.replace("ip route 10.100.0.0/24 blackhole\n", "ip route 10.100.0.0/24 blackhole\n" + line)
    hand = []
    for i in range(trials):
        text = added if i % 2 == 0 else base
        box("lab-a17", "cat > /etc/frr/frr.conf", data=text)
        t0 = time.time()
        box("lab-a17", "python3 /usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf")
        hand.append(time.time() - t0)
    run_module(inv, inv_dir, scenario_args())  # back to the scenario's intent
    return floor, module, hand


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--skip-setup", metavar="INVENTORY", help="use a running, converged lab (its inventory)")
    ap.add_argument("--down", action="store_true", help="remove the appliances afterwards")
    ap.add_argument("--only", choices=("reroute", "apply"), help="run one half")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the benchmark needs root (lab namespaces)")
    inv_dir = tempfile.mkdtemp(prefix="azb-routing-bench-")
    inv = args.skip_setup or setup(inv_dir)
    if args.only != "apply":
        reroute = bench_reroute(args.trials)
        print("\nReroute after a silent cable cut (first reply the other way), %d trials each" % args.trials)
        print("| failure detection | median s | p95 s | lost trials |")
        print("| --- | --- | --- | --- |")
        for label, med, p95, lost, _times in reroute:
            print("| %s | %.3f | %.3f | %d |" % (label, med, p95, lost))
    if args.only == "reroute":
        return 0
    floor, module, hand = bench_apply(inv, inv_dir, args.trials)
    fl, mo, ha = (statistics.median(x) for x in (floor, module, hand))
    print("\nOne-line change on 1,000 static routes + 1,000 prefix-list entries, median of %d" % args.trials)
    print("| way | median s | note |")
    print("| --- | --- | --- |")
    print("| azb_routing (ad-hoc run) | %.2f | parse check, write, frr-reload.py |" % mo)
    print("| Ansible floor (ping) | %.2f | not counted |" % fl)
    print("| azb_routing minus floor | %.2f | %.2fx the hand-run reload |" % (mo - fl, (mo - fl) / ha))
    print("| by hand: frr.conf + frr-reload.py --reload | %.2f | |" % ha)
    if args.down:
        lab("--inventory", os.path.join(inv_dir, "lab-inventory.yml"), "down", "--only", *APPS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
