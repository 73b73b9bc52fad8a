"""pyroute2 against `ip -j` for what the adapters read: the policy rules and one routing table.

Issue 15 asked for netlink through pyroute2 where the adapters and the WAN health service run `ip`,
unless a measurement shows the library is worse. This is that measurement, on an appliance, with
Debian's python3-pyroute2 (what the box would run). Side by side in one run, best of 5:

- a module call is a fresh Python process each time (Ansible starts one per task): import + read;
- a long-running service (the WAN health service) pays the import once: the read alone.

    .venv/bin/python -m bench.netlink_bench [--appliance lab-a2] [--routes 10,1000]

The appliance is started if needed (`azblab up --names`); python3-pyroute2 is installed on it.
"""
import argparse
import os

from bench.lablib import REPO, host_ssh, lab, lab_host

# Runs on the box: a veth with N routes in table 201 and 200 policy rules, both readers timed, then
# everything it made removed. Prints one "key value" line per figure.
ON_BOX = r'''
import json, subprocess, sys, time
n = int(sys.argv[1])
run = lambda argv, data=None: subprocess.run(argv, input=data, capture_output=True, text=True)
run(["ip", "link", "add", "nlb0", "type", "veth", "peer", "name", "nlb1"])
run(["ip", "link", "set", "nlb0", "up"]); run(["ip", "link", "set", "nlb1", "up"])
run(["ip", "addr", "add", "192.0.2.254/24", "dev", "nlb0"])
run(["ip", "-force", "-batch", "-"], "".join(
    "route replace 198.51.%d.%d/32 via 192.0.2.1 dev nlb0 table 201\n" % (i // 250, i % 250) for i in range(n)) + "".join(
    "rule add pref %d from 10.%d.%d.0/24 lookup 201\n" % (20000 + i, i // 250, i % 250) for i in range(200)))
def best(f, k=5):
    out = []
    for _ in range(k):
        t = time.perf_counter(); f(); out.append(time.perf_counter() - t)
    return min(out)
def ip_json():
    json.loads(run(["ip", "-j", "-4", "rule", "show"]).stdout)
    json.loads(run(["ip", "-j", "-4", "route", "show", "table", "201"]).stdout)
t = time.perf_counter()
from pyroute2 import IPRoute
imported = time.perf_counter() - t
ipr = IPRoute()
def netlink():
    list(ipr.get_rules(family=2)); list(ipr.get_routes(family=2, table=201))
routes = len(json.loads(run(["ip", "-j", "-4", "route", "show", "table", "201"]).stdout))
fresh_pr2 = best(lambda: run([sys.executable, "-c", "from pyroute2 import IPRoute\ni = IPRoute()\n"
                              "list(i.get_rules(family=2)); list(i.get_routes(family=2, table=201))"]), 3)
fresh_ip = best(lambda: run([sys.executable, "-c", "import json, subprocess\nfor a in (['rule', 'show'], "
                             "['route', 'show', 'table', '201']):\n json.loads(subprocess.run(['ip', '-j', "
                             "'-4'] + a, capture_output=True, text=True).stdout)"]), 3)
print("routes %d" % routes)
print("import %.4f" % imported)
print("read_ip %.4f" % best(ip_json))
print("read_pyroute2 %.4f" % best(netlink))
print("fresh_ip %.4f" % fresh_ip)
print("fresh_pyroute2 %.4f" % fresh_pr2)
run(["ip", "-force", "-batch", "-"], "".join("rule del pref %d\n" % (20000 + i) for i in range(200)))
run(["ip", "route", "flush", "table", "201"]); run(["ip", "link", "del", "nlb0"])
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("--appliance", default="lab-a2")
    ap.add_argument("--routes", default="10,1000")
    args = ap.parse_args()
    lab("up", "--names", args.appliance)
    host = lab_host(os.path.join(REPO, ".lab", "inventory.yml"), args.appliance)
    host_ssh(host, "dpkg -s python3-pyroute2 >/dev/null 2>&1 || apt-get install -y -q python3-pyroute2", 300)
    version = host_ssh(host, "dpkg-query -W -f '${Version}' python3-pyroute2", 30).strip()
    load = open("/proc/loadavg").read().split()[0]
    print("pyroute2 %s (Debian) on %s, load %s; seconds, best of 5 (fresh processes: best of 3)\n"
          % (version, args.appliance, load))
    print("| routes in the table (+ 200 rules) | `ip -j` read | pyroute2 read | import pyroute2 "
          "| module call (fresh python): `ip -j` | module call: pyroute2 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in [int(x) for x in args.routes.split(",")]:
        out = host_ssh(host, "python3 - %d <<'AZB_EOF'\n%s\nAZB_EOF" % (n, ON_BOX), 300)
        f = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)
        if "fresh_pyroute2" not in f:
            raise SystemExit("no figures from %s:\n%s" % (args.appliance, out))
        print("| %s | %s | %s | %s | %s | %s |" % (f["routes"], f["read_ip"], f["read_pyroute2"], f["import"],
                                                   f["fresh_ip"], f["fresh_pyroute2"]))


if __name__ == "__main__":
    main()
