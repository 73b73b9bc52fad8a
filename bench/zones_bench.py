"""Benchmark: the zones firewall at 10,000 and 100,000 ACL entries, against raw `nft -f`.

On one lab appliance (lab-a2 unless --appliance), for each size and input form, in one run and
interleaved (floor, module, raw in every repetition):
  1. azb_zone applying N entries from nothing, through Ansible, minus Ansible's own floor
     (the same kind of play with a `ping` task, measured in the same repetition);
  2. a no-op re-apply and a one-entry change (an element update), minus the floor;
  3. raw `nft -f` of the very ruleset azb_zone renders (rendered here by the collection's own
     renderer, copied to the box), timed on the box: from nothing, and loaded again over itself
     (what a user of raw nft runs for a change or to be sure);
  4. with --iperf: iperf3 between two zones (br3 -> br4) with no ruleset, with a 2-entry one and
     with the largest one;
  5. ansible.builtin.iptables in a loop for 100 rules, extrapolated (with --iptables).
Forms: `policies` (N policies of one source each), `list` (one policy, N sources), `compact`
(N policies as lines of `policies_compact`, which Ansible passes as one string), `list-compact`
(one policy, N sources, as one line of `policies_compact`).
CPU seconds (always measured, the table a loaded machine can still compare): the controller's
(ansible-playbook and its workers and ssh, from the bench's child rusage) plus the box's (the
module's interpreter and everything it waited for, nft included: the play runs its modules through
a wrapper interpreter on the box that logs its children's rusage); raw `nft -f` likewise. Wall
time on a machine whose load others drive moves with them; CPU time much less.
Not a test: it prints a table. Usage (root; uses the lab):
  python -m bench.zones_bench [--appliance lab-a12] [--sizes 10000,100000] [--forms policies,list,compact,list-compact]
                              [--reps 3] [--iperf] [--iptables] [--profile] [--keep]
"""
import argparse
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
INVENTORY = os.path.join(REPO, ".lab", "bench-zones.yml")
PY = os.path.join(REPO, ".venv", "bin", "python")
BIN = os.path.join(REPO, ".venv", "bin")
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
ENV = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
           PATH=BIN + ":" + os.environ["PATH"])
IPTABLES_SAMPLE = 100
APPLIANCE = "lab-a2"


def lab(*args):
    subprocess.run([PY, "-m", "tests.lab.azblab", "--inventory", INVENTORY] + list(args), cwd=REPO,
                   check=True, env=ENV, stdout=subprocess.DEVNULL)


def ssh(cmd, timeout=600, data=None):
    with open(INVENTORY) as fh:
        inv = yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"][APPLIANCE]
    argv = ["ssh", "-i", inv["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@" + inv["ansible_host"], cmd]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True, input=data).stdout


# The box's interpreter for the bench's plays: runs python3 and appends the CPU seconds of it and
# everything it waited for (nft, ip) to CPU_LOG, read and cleared after each play.
CPU_PYTHON = "/usr/local/sbin/azb-bench-python"
CPU_LOG = "/run/azb-bench-cpu"
CPU_WRAPPER = """#!/usr/bin/python3
import resource, subprocess, sys
rc = subprocess.call(["/usr/bin/python3"] + sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open("%s", "a") as fh:
    fh.write("%%.6f\\n" %% (u.ru_utime + u.ru_stime))
sys.exit(rc)
""" % CPU_LOG
LAST_CPU = {}   # the last play's CPU seconds: controller, box


def _children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def playbook(tasks, extra=None, env=None, verbose=()):
    """Run one play on the bench appliance; -> (wall seconds, output). Its CPU seconds (controller,
    box) are left in LAST_CPU."""
    play = [{"name": "bench", "hosts": APPLIANCE, "gather_facts": False, "become": True,
             "vars_files": [extra] if extra else [], "tasks": tasks,
             "vars": {"ansible_python_interpreter": CPU_PYTHON}}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        json.dump(play, fh)
        path = fh.name
    try:
        c0, t0 = _children_cpu(), time.perf_counter()
        res = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", INVENTORY, path] + list(verbose),
                             cwd=REPO, env=env or ENV, capture_output=True, text=True, check=False)
        secs, controller = time.perf_counter() - t0, _children_cpu() - c0
    finally:
        os.unlink(path)
    if res.returncode != 0:
        raise RuntimeError(res.stdout[-3000:] + res.stderr[-2000:])
    box = ssh("cat %s 2>/dev/null; rm -f %s" % (CPU_LOG, CPU_LOG))
    LAST_CPU.update(controller=controller, box=sum(float(x) for x in box.split()))
    return secs, res.stdout + res.stderr


def source(i):
    """The i-th ACL source: distinct /32s outside the zones (10.100.0.0 upwards, 100,000 fit)."""
    return "10.%d.%d.%d" % (100 + i // 65536, (i // 256) % 256, i % 256)


def zone_vars(n, form="policies", change=False):
    """The module's arguments for N entries in one form; ``change``: the same with one entry changed."""
    zones = [
        {"name": "wan", "role": "wan", "bridge": "br0", "interfaces": ["wan1"],
         "address": ["192.0.2.18/29"], "gateway": "192.0.2.17"},
        {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["lc-b3"], "address": ["10.3.0.1/16"]},
        {"name": "dev", "role": "trusted", "bridge": "br4", "interfaces": ["lc-b4"], "address": ["10.4.0.1/24"]},
    ]
    out = {"zones": zones, "management_sources": ["198.18.0.1/32"]}
    iperf = {"name": "iperf", "from": ["office"], "to": ["dev"], "proto": "tcp", "ports": ["5201"]}
    if form in ("list", "list-compact"):  # an allow list: one policy, N sources
        srcs = [source(i) for i in range(n - 1)]
        if change:
            srcs[0] = "10.99.0.1"
        if form == "list-compact":   # the same, as one line of policies_compact
            out["policies"] = [iperf]
            out["policies_compact"] = "partners %s dev tcp 443\n" % ",".join(srcs)
            return out
        out["policies"] = [{"name": "partners", "from": srcs, "to": ["dev"], "proto": "tcp", "ports": ["443"]},
                           iperf]
        return out
    # N policies of one entry each (the worst case for the input's size)
    ports = [1024 + i % 60000 for i in range(n - 1)]
    if change:
        ports[0] = 65000
    if form == "compact":
        out["policies"] = [iperf]
        out["policies_compact"] = "\n".join("p%d %s dev tcp %d" % (i, source(i), ports[i])
                                            for i in range(n - 1)) + "\n"
        return out
    out["policies"] = [{"name": "p%d" % i, "from": [source(i)], "to": ["dev"], "proto": "tcp",
                        "ports": [str(ports[i])]} for i in range(n - 1)] + [iperf]
    return out


SHOW = {"name": "show", "ansible.builtin.debug": {"msg": "ACTIONS={{ r.actions | default([]) | to_json }}"}}
# Ansible's floor: the same play shape (a module task, registered, then the debug task) with `ping`.
FLOOR = [{"name": "ping", "ansible.builtin.ping": {}, "register": "r"}, SHOW]


def zone_task(data, state="present"):
    a = dict(("%s" % k, "{{ bench_zone.%s }}" % k) for k in data)
    a["state"] = state
    return [{"name": "azb_zone", "azblink.nfv.azb_zone": a, "register": "r"}, SHOW]


def write_vars(data):
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump({"bench_zone": data}, fh)
    return path


def render_here(data):
    """The ruleset text azb_zone renders for ``data``, by the collection's own (pure) renderer."""
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.azblink.nfv.plugins.module_utils.zones import model, render_nft
    return render_nft.render(model.build(dict(data)))


def iperf(secs=3):
    idx = int(APPLIANCE.rsplit("a", 1)[1])
    srv = subprocess.Popen(["ip", "netns", "exec", "azb-a%d-c-b4" % idx, "iperf3", "-s", "-1", "-B", "10.4.0.50"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    try:
        out = subprocess.run(["ip", "netns", "exec", "azb-a%d-c-b3" % idx, "iperf3", "-c", "10.4.0.50", "-t",
                              str(secs), "-J"], capture_output=True, text=True, timeout=secs + 20, check=True).stdout
    finally:
        srv.wait(10)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9


def drop_tables():
    ssh("nft delete table inet azblink; nft delete table bridge azblink_l2; rm -f /var/lib/azblink/firewall.*; true")


RAW = ("python3 -c \"import resource,subprocess,sys,time;t=time.perf_counter();"
       "subprocess.run(['nft','-f',sys.argv[1]],check=True);u=resource.getrusage(resource.RUSAGE_CHILDREN);"
       "print(time.perf_counter()-t,u.ru_utime+u.ru_stime)\" %s")


def raw(path, cpu=None):
    """Wall seconds of `nft -f PATH` on the box; its CPU seconds are added to ``cpu``'s list."""
    wall, used = ssh(RAW % path).split()
    if cpu is not None:
        cpu.append(float(used))
    return float(wall)


def module_run(files, key, expect=None, cpu=None):
    """Wall seconds of one azb_zone play; its CPU seconds (controller + box) are added to ``cpu``."""
    secs, out = playbook(zone_task(files[key][1]), files[key][0])
    if expect and expect not in out:
        raise RuntimeError("expected %r in the module's actions:\n%s" % (expect, out[-2000:]))
    if cpu is not None:
        cpu.append(LAST_CPU["controller"] + LAST_CPU["box"])
    return secs


def floor(cpu, extra=None):
    secs = playbook(FLOOR, extra)[0]
    cpu.append(LAST_CPU["controller"] + LAST_CPU["box"])
    return secs


def bench_one(n, form, reps):
    """-> dict of best-of-reps seconds for this size and form; module rows are the best module run
    minus the best floor (noise on a shared machine only ever adds time, to either)."""
    data, alt = zone_vars(n, form), zone_vars(n, form, change=True)
    files = {"full": (write_vars(data), data), "alt": (write_vars(alt), alt)}
    ssh("cat > /tmp/bench-full.nft", data=render_here(data))
    ssh("cat > /tmp/bench-alt.nft", data=render_here(alt))
    runs = {}
    try:
        for _rep in range(reps):
            # the floor before every module run: its best of many is the estimate the module runs
            # are set against; the same play loading this form's vars file shows Ansible's share of it
            cpu = dict((k, []) for k in ("floor", "floor_vars", "apply", "noop", "change",
                                         "raw_apply", "raw_reload", "raw_change"))
            rep = {"floor": [floor(cpu["floor"])], "floor_vars": floor(cpu["floor_vars"], files["full"][0])}
            drop_tables()
            rep["apply"] = module_run(files, "full", "replace tables", cpu["apply"])
            rep["floor"].append(floor(cpu["floor"]))
            rep["noop"] = module_run(files, "full", cpu=cpu["noop"])
            rep["floor"].append(floor(cpu["floor"]))
            rep["change"] = module_run(files, "alt", "update set elements", cpu["change"])
            rep["floor"].append(floor(cpu["floor"]))
            module_run(files, "full", "update set elements")
            drop_tables()
            rep["raw_apply"] = raw("/tmp/bench-full.nft", cpu["raw_apply"])
            rep["raw_reload"] = raw("/tmp/bench-full.nft", cpu["raw_reload"])
            rep["raw_change"] = raw("/tmp/bench-alt.nft", cpu["raw_change"])
            rep.update(("cpu_" + k, v) for k, v in cpu.items())
            print("rep %d %s: %s" % (n, form, json.dumps(rep)), flush=True)
            for k, v in rep.items():
                runs.setdefault(k, []).extend(v if isinstance(v, list) else [v])
    finally:
        for path, _data in files.values():
            os.unlink(path)
    best = dict((k, min(v)) for k, v in runs.items())
    for k in ("apply", "noop", "change"):
        best[k] -= best["floor"]
        best["cpu_" + k] -= best["cpu_floor"]
    return best


# Where the module's time goes on the box: cumulative seconds of these functions (file suffix, name).
PROFILED = [
    ("argument spec checks (AnsibleModule)", "module_utils/basic.py", "__init__"),
    ("model: validation", "zones/model.py", "build"),
    ("render ruleset", "zones/render_nft.py", "render"),
    ("plan: live state, compare", "zones/plan.py", "plan"),
    ("apply: nft -f, persist, state", "zones/plan.py", "execute"),
    ("result out (exit_json, audit record)", "module_utils/audit.py", "exit_json"),
    ("whole module", "modules/azb_zone.py", "main"),
]


def profile(n, form, what):
    """Run the module once with its files kept on the box, then its unpacked copy under cProfile:
    ``what`` is change (the one-entry change), noop (the same arguments again) or apply (from nothing)."""
    data = zone_vars(n, form)
    path = write_vars(data)
    env = dict(ENV, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_PIPELINING="False")
    try:
        _secs, out = playbook(zone_task(data), path, env=env, verbose=["-vvv"])
    finally:
        os.unlink(path)
    tmp = re.findall(r"(/root/\.ansible/tmp/ansible-tmp-[^/\s'\"]+)/AnsiballZ_azb_zone", out)[-1]
    other = zone_vars(n, form, change=True) if what == "change" else {}
    script = (
        "import cProfile, json, pstats, runpy, sys\n"
        "sys.path.insert(0, '.')\n"
        "a = json.load(open('args')); a['ANSIBLE_MODULE_ARGS'].update(json.load(open('other')))\n"
        "json.dump(a, open('args2', 'w')); sys.argv = ['m', 'args2']\n"
        "p = cProfile.Profile(); p.enable()\n"
        "try:\n"
        "    runpy.run_path('ansible_collections/azblink/nfv/plugins/modules/azb_zone.py', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "p.disable(); st = pstats.Stats(p).stats\n"
        "out = {}\n"
        "for (fn, _l, name), (_cc, _nc, _tt, ct, _c) in st.items():\n"
        "    out.setdefault('%s:%s' % (fn, name), 0.0); out['%s:%s' % (fn, name)] += ct\n"
        "sys.stderr.write('PROFILE ' + json.dumps(out) + '\\n')\n"
        "pstats.Stats(p, stream=sys.stderr).sort_stats('cumulative').print_stats(45)\n")
    q = shlex.quote(tmp)
    ssh("cd %s && python3 AnsiballZ_azb_zone.py explode >/dev/null && cd debug_dir && cat > other" % q,
        data=json.dumps(other))
    if what == "apply":
        drop_tables()
    ssh("cd %s/debug_dir && cat > prof.py" % q, data=script)
    with open(INVENTORY) as fh:
        inv = yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"][APPLIANCE]
    res = subprocess.run(["ssh", "-i", inv["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
                          "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                          "root@" + inv["ansible_host"], "cd %s/debug_dir && python3 prof.py >/dev/null" % q],
                         capture_output=True, text=True, check=False)
    ssh("rm -rf %s" % q)
    mt = re.search(r"PROFILE (\{.*\})", res.stderr)
    if not mt:
        raise SystemExit("profile failed: %s" % res.stderr[-2000:])
    times = json.loads(mt.group(1))
    print(res.stderr.split("\n", 1)[1][:6000])
    return [(label, sum(v for k, v in times.items() if k.endswith("%s:%s" % (suffix, name))))
            for label, suffix, name in PROFILED]


def throughput(n):
    """iperf3 br3 -> br4 (best of 3 short runs each): no ruleset, 2 entries, N entries."""
    rows = []
    for label, data in (("N", zone_vars(n, "list")), ("2", zone_vars(2, "policies"))):
        path = write_vars(data)
        try:
            playbook(zone_task(data), path)
        finally:
            os.unlink(path)
        rows.append((label, max(iperf() for _rep in range(3))))
    drop_tables()
    rows.append(("empty", max(iperf() for _rep in range(3))))
    return dict(rows)


def iptables_loop(floor):
    ipt_tasks = [{"name": "iptables rule", "ansible.builtin.iptables": {
        "chain": "FORWARD", "source": "{{ '10.100.%d.%d' % (item // 256, item % 256) }}",
        "destination": "10.4.0.0/24", "protocol": "tcp", "destination_port": "{{ 1024 + item }}",
        "jump": "ACCEPT"}, "loop": "{{ range(%d) | list }}" % IPTABLES_SAMPLE}]
    t_ipt = playbook(ipt_tasks)[0]
    ssh("iptables -F FORWARD")
    return (t_ipt - floor) / IPTABLES_SAMPLE


def main():
    global APPLIANCE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliance", default=APPLIANCE)
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--forms", default="policies,list,compact")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iperf", action="store_true", help="throughput rows (largest size)")
    ap.add_argument("--iptables", action="store_true", help="the ansible.builtin.iptables loop row")
    ap.add_argument("--profile", metavar="N:FORM:change|noop|apply", help="cProfile one module run on the box instead")
    ap.add_argument("--keep", action="store_true", help="leave the appliance up")
    args = ap.parse_args()
    APPLIANCE = args.appliance
    idx = int(APPLIANCE.rsplit("a", 1)[1])
    lab("up", "--names", APPLIANCE, "--image", "nfv")
    up = ssh("ip -br link show br3 || true")
    if "br3" not in up or not os.path.exists("/run/netns/azb-a%d-c-b3" % idx):
        for label, br, addr, gw in (("b3", "br3", "10.3.0.50/16", "10.3.0.1"),
                                    ("b4", "br4", "10.4.0.50/24", "10.4.0.1")):
            lab("client", "add", APPLIANCE, label, "--bridge", br, "--address", addr, "--gateway", gw)
    ssh("sysctl -qw net.ipv4.ip_forward=1")
    ssh("cat > %s && chmod 755 %s" % (CPU_PYTHON, CPU_PYTHON), data=CPU_WRAPPER)
    if args.iptables:
        ssh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables >/dev/null 2>&1; true")
    small = zone_vars(2)
    path = write_vars(small)
    try:
        playbook(zone_task(small), path)          # bridges and links in place
    finally:
        os.unlink(path)
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        if args.profile:
            n, form, what = args.profile.split(":")
            drop_tables()
            for label, secs in profile(int(n), form, what):
                print("| %s | %.3f |" % (label, secs))
            return 0
        results = {}
        for n in sizes:
            for form in args.forms.split(","):
                results[(n, form)] = bench_one(n, form, args.reps)
                print("done %d %s: %s" % (n, form, json.dumps(results[(n, form)])), flush=True)
        tput = throughput(max(sizes)) if args.iperf else None
        per_rule = iptables_loop(min(r["floor"] for r in results.values())) if args.iptables else None
    finally:
        if not args.keep:
            lab("down", "--only", APPLIANCE)
    print("\nazb_zone on %s, best of %d; module rows are the best ansible-playbook wall minus the best floor"
          " (the same play with ping); raw rows are `nft -f` timed on the box; load average %s"
          % (APPLIANCE, args.reps, " ".join(open("/proc/loadavg").read().split()[:3])))
    print("| entries | form | floor s | floor + vars file s | apply s | raw apply s | x | no-op s | raw reload s | x |"
          " one-entry change s | raw reload (changed file) s | x |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (n, form), r in results.items():
        print("| %d | %s | %.2f | %.2f | %.2f | %.2f | %.1fx | %.2f | %.2f | %.1fx | %.2f | %.2f | %.1fx |"
              % (n, form, r["floor"], r["floor_vars"], r["apply"], r["raw_apply"], r["apply"] / r["raw_apply"],
                 r["noop"], r["raw_reload"], r["noop"] / r["raw_reload"],
                 r["change"], r["raw_change"], r["change"] / r["raw_change"]))
    print("\nCPU seconds (controller + box): module rows are the least of a module play minus the least of"
          " a floor play; raw rows are nft's own")
    print("| entries | form | floor s | floor + vars file s | apply s | raw apply s | x | no-op s | raw reload s | x |"
          " one-entry change s | raw reload (changed file) s | x |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (n, form), r in results.items():
        c = dict((k[4:], v) for k, v in r.items() if k.startswith("cpu_"))
        print("| %d | %s | %.2f | %.2f | %.2f | %.2f | %.1fx | %.2f | %.2f | %.1fx | %.2f | %.2f | %.1fx |"
              % (n, form, c["floor"], c["floor_vars"], c["apply"], c["raw_apply"], c["apply"] / c["raw_apply"],
                 c["noop"], c["raw_reload"], c["noop"] / c["raw_reload"],
                 c["change"], c["raw_change"], c["change"] / c["raw_change"]))
    if tput:
        n = max(sizes)
        print("\n| iperf3 br3 -> br4 | Gbit/s | of empty |")
        print("| --- | ---: | ---: |")
        for label, key in (("no ruleset", "empty"), ("zones, 2 entries", "2"), ("zones, %d entries" % n, "N")):
            print("| %s | %.2f | %.0f %% |" % (label, tput[key], 100 * tput[key] / tput["empty"]))
    if per_rule is not None:
        print("\nansible.builtin.iptables loop: %.3f s per rule (%d measured), %d rules extrapolated: %.0f s"
              % (per_rule, IPTABLES_SAMPLE, max(sizes), per_rule * max(sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
