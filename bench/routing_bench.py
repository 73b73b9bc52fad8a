"""Routing benchmark (not a test): reroute after a silent cable cut, and applying a one-line change.

On lab-a17 (A), lab-a18 (B), lab-a19 (C), prepared and converged as the Molecule scenario `routing`
(a ring of cables, OSPF hello 1 s / dead 4 s, BFD 100 ms x 3 on A-C only), it measures:

  * reroute: the A-C cable (BFD) and the A-B cable (OSPF timers alone) are cut silently, N trials
    each, while a client behind A pings a client behind the far end every 10 ms: the time from the
    cut to the first reply that came back the other way. Median and p95, side by side;
  * apply: A gets 1,000 static routes and a 1,000-entry prefix-list; then one static route is added
    or removed, by azb_routing (an ad-hoc Ansible run, with Ansible's own floor - a `ping` - measured
    apart) and by hand (the same frr.conf copied in, `frr-reload.py --reload` run directly), N trials
    each, interleaved (ping, module, hand in every trial).

Targets (issue 11): BFD reroute median <= 0.5 s, p95 <= 1 s; apply within 2x of the hand-run reload.

The apply half needs one appliance only: ``--apply-on lab-aN`` runs it on another one (brought up,
FRR installed) with A's intent. ``--profile`` then runs the module once more on the box, unpacked,
under cProfile, and prints where its time goes (argument checks, model, rendering, FRR's parser,
reading the box, frr-reload.py, the result).

    make collection
    sudo .venv/bin/python -m bench.routing_bench [--trials 10] [--skip-setup INV] [--down]
    sudo .venv/bin/python -m bench.routing_bench --only apply --apply-on lab-a12 --profile
"""
import argparse
import json
import os
import re
import shlex
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
SCEN = os.path.join(REPO, "extensions", "molecule", "routing")
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


def setup_apply_box(inv_dir, name):
    """Another appliance for the apply half: up, with FRR and frr-reload.py installed."""
    inv = os.path.join(inv_dir, "lab-inventory.yml")
    lab("--inventory", inv, "up", "--names", name)
    sh([os.path.join(BIN, "ansible"), name, "-i", inv, "-m", "ansible.builtin.apt", "-a",
        "name=frr,frr-pythontools state=present install_recommends=false"], env=ansible_env(inv_dir))
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
        for _trial in range(trials):
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


def run_module(inv, inv_dir, args, host="lab-a17", env=None, verbose=()):
    t0 = time.time()
    res = sh([os.path.join(BIN, "ansible"), host, "-i", inv, "-m", "azblink.nfv.azb_routing",
              "-a", json.dumps(args)] + list(verbose), env=env or ansible_env(inv_dir))
    return time.time() - t0, res


def scenario_args():
    with open(os.path.join(SCEN, "vars.yml")) as fh:
        v = yaml.safe_load(fh)
    # As the routing role passes them: with the box's VPN tunnels, by name.
    tunnels = [{"name": t["name"], "interface": t["name"]} for t in v["azb_vpn_tunnels"]
               if any(p["name"] == "lab-a17" for p in t["peers"])]
    return dict(v["rt_routing"]["lab-a17"], zones=v["rt_zones"]["lab-a17"], tunnels=tunnels)


def bench_apply(inv, inv_dir, trials, host="lab-a17"):
    """Interleaved: each trial times the floor, the module and the hand-run reload one after the
    other, so a load swing on the shared machine hits the three alike. Each of the two ways flips
    the extra route (adds it or removes it); they take turns going first, so both add and remove."""
    env = ansible_env(inv_dir)
    run_module(inv, inv_dir, big_args(inv_dir, False), host)  # the 1,000 + 1,000 base
    line = "ip route 10.250.0.0/24 blackhole\n"
    anchor = "ip route 10.100.0.0/24 blackhole\n"
    floor, module, hand = [], [], []
    present = False
    for i in range(trials):
        t0 = time.time()
        sh([os.path.join(BIN, "ansible"), host, "-i", inv, "-m", "ansible.builtin.ping"], env=env)
        floor.append(time.time() - t0)
        for way in (("module", "hand") if i % 2 == 0 else ("hand", "module")):
            present = not present
            if way == "module":
                module.append(run_module(inv, inv_dir, big_args(inv_dir, present), host)[0])
                continue
            # By hand: the file as the module wrote it, the line flipped, and frr-reload.py.
            conf = box(host, "cat /etc/frr/frr.conf").stdout
            text = conf.replace(anchor, anchor + line) if present else conf.replace(line, "")
            box(host, "cat > /etc/frr/frr.conf", data=text)
            t0 = time.time()
            box(host, "python3 /usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf")
            hand.append(time.time() - t0)
    return floor, module, hand


# Where the module's time goes: cumulative seconds of these functions (file suffix, function name).
PROFILED = [
    ("argument spec checks (AnsibleModule)", "module_utils/basic.py", "__init__"),
    ("model: validation", "routing/model.py", "build"),
    ("render frr.conf (x2: applied, masked)", "routing/render.py", "frr_conf"),
    ("FRR's parser (vtysh --dryrun)", "routing/adapter.py", "check"),
    ("plan: files, unit state (and --test when asked)", "routing/plan.py", "plan"),
    ("apply: write + frr-reload.py --reload", "routing/plan.py", "execute"),
    ("result out (exit_json)", "module_utils/basic.py", "exit_json"),
    ("whole module", "modules/azb_routing.py", "main"),
]


def profile_module(inv, inv_dir, args, host):
    """Run the module once with its files kept on the box, then its unpacked copy under cProfile."""
    env = dict(ansible_env(inv_dir), ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_PIPELINING="False")
    _secs, res = run_module(inv, inv_dir, args, host, env=env, verbose=["-vvv"])  # -vvv: the remote tmp path
    tmp = re.findall(r"(/root/\.ansible/tmp/ansible-tmp-[^/\s'\"]+)/", res.stdout + res.stderr)[-1]
    toggled = dict(args, static_routes=list(args["static_routes"])[:-1]
                   if args["static_routes"][-1]["prefix"] == "10.250.0.0/24"
                   else list(args["static_routes"]) + [{"prefix": "10.250.0.0/24", "blackhole": True}])
    script = (
        "import cProfile, json, pstats, runpy, sys\n"
        "sys.path.insert(0, '.')\n"
        "a = json.load(open('args')); a['ANSIBLE_MODULE_ARGS'].update(json.load(open('toggled')))\n"
        "json.dump(a, open('args2', 'w')); sys.argv = ['m', 'args2']\n"
        "p = cProfile.Profile(); p.enable()\n"
        "try:\n"
        "    runpy.run_path('ansible_collections/azblink/nfv/plugins/modules/azb_routing.py', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "p.disable(); st = pstats.Stats(p).stats\n"
        "out = {}\n"
        "for (fn, _l, name), (_cc, _nc, _tt, ct, _c) in st.items():\n"
        "    out.setdefault('%s:%s' % (fn, name), 0.0); out['%s:%s' % (fn, name)] += ct\n"
        "sys.stderr.write('PROFILE ' + json.dumps(out) + '\\n')\n")
    box(host, "cd %s && python3 AnsiballZ_azb_routing.py explode >/dev/null && cd debug_dir && cat > toggled"
        % shlex.quote(tmp), data=json.dumps({"static_routes": toggled["static_routes"]}))
    box(host, "cd %s/debug_dir && cat > prof.py" % shlex.quote(tmp), data=script)
    res = sh(["ssh", "-i", KEY, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
              "-o", "LogLevel=ERROR", "root@198.18.0.%d" % (10 + int(host.rsplit("a", 1)[1])),
              "cd %s/debug_dir && python3 prof.py >/dev/null" % shlex.quote(tmp)], check=False)
    box(host, "rm -rf %s" % shlex.quote(tmp))
    mt = re.search(r"PROFILE (\{.*\})", res.stderr)
    if not mt:
        raise SystemExit("profile failed: %s" % res.stderr[-2000:])
    times = json.loads(mt.group(1))
    rows = []
    for label, suffix, name in PROFILED:
        rows.append((label, sum(v for k, v in times.items() if k.endswith("%s:%s" % (suffix, name)))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--skip-setup", metavar="INVENTORY", help="use a running, converged lab (its inventory)")
    ap.add_argument("--down", action="store_true", help="remove the appliances afterwards")
    ap.add_argument("--only", choices=("reroute", "apply"), help="run one half")
    ap.add_argument("--apply-on", default="lab-a17", metavar="NAME",
                    help="the appliance of the apply half (default lab-a17, the scenario's A)")
    ap.add_argument("--profile", action="store_true", help="where the module's time goes (one more run)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the benchmark needs root (lab namespaces)")
    inv_dir = tempfile.mkdtemp(prefix="azb-routing-bench-")
    if args.only == "apply" and args.apply_on not in APPS and not args.skip_setup:
        inv = setup_apply_box(inv_dir, args.apply_on)
    else:
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
    floor, module, hand = bench_apply(inv, inv_dir, args.trials, args.apply_on)
    fl, mo, ha = (statistics.median(x) for x in (floor, module, hand))
    if args.profile:
        rows = profile_module(inv, inv_dir, big_args(inv_dir, True), args.apply_on)
        print("\nWhere azb_routing's time goes on %s (one run of the one-line change, cProfile, cumulative s)"
              % args.apply_on)
        print("| part | s |")
        print("| --- | --- |")
        for label, secs in rows:
            print("| %s | %.3f |" % (label, secs))
    if args.apply_on in APPS:
        run_module(inv, inv_dir, scenario_args(), args.apply_on)  # back to the scenario's intent
    print("\nOne-line change on 1,000 static routes + 1,000 prefix-list entries, %s, median of %d"
          % (args.apply_on, args.trials))
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
