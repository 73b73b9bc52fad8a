"""Benchmark (not a test): event shipping from one appliance to a collector, with the observability
role's pipeline (JSON events, RFC 5425 over TLS, disk-assisted queue) against rsyslog's own plain
forwarding (the same nflog lines, RFC 3164 over plain TCP, default action queue) in the same run.

Runs on its own appliance (--appliance, default lab-a21, leased for the run): starts it, plugs a lab
and an office client in, makes a collector namespace on the management network, converges
bench/logship_site.yml (zones with a logged drop policy, the CA, the observability pipeline; skip
with --no-converge on an appliance converged before). Both pipelines read the same ulogd file, so one
burst of N logged packets (UDP from the office client to the logged drop policy, each from its own
source port) feeds both:
  throughput   events per second from the first to the last arrival at each collector
  restart      the same burst with each collector stopped for --outage s in the middle of it: events
               lost and duplicated (by source port)
Prints a table. The plain rsyslogd on the box and the collectors are stopped by PID afterwards; the
clients and the collector namespace are removed (--keep leaves them and the appliance for a rerun).
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from tests.lab.azblab import topology  # noqa: E402 (the repository is on the path only from here)

SCENARIO = os.path.join(REPO, "extensions/molecule/observability")
PY = os.path.join(REPO, ".venv/bin/python")
KEY = "/var/lib/azblink-lab/ssh/id_ed25519"
SSH = ["ssh", "-i", KEY, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "LogLevel=ERROR"]
WORK = os.path.join(REPO, "build/bench-logship")
C1 = "10.1.0.50"
PLAIN_PORT = 10514
# Set by configure() from --appliance.
BOX = NS = COLLECTOR_NS = ADDR = RUN = None
ENV = {}


def configure(appliance):
    global BOX, NS, COLLECTOR_NS, ADDR, RUN, ENV
    index = int(appliance.rsplit("a", 1)[1])
    BOX = topology.appliance(index).mgmt_address
    NS = topology.client_netns(index, "c3")
    COLLECTOR_NS = "azb-a%d-siem" % index
    ADDR = "198.18.0.%d" % (200 + index)
    RUN = "/run/%s" % COLLECTOR_NS
    ENV = dict(os.environ, OBS_NETNS=COLLECTOR_NS, OBS_ADDRESS=ADDR)


# The alternative: a second rsyslogd on the box reading the same file, forwarding as rsyslog does
# out of the box (plain TCP, its default template, no parsing, no disk assistance).
PLAIN_CONF_TEXT = """global(workDirectory="/run/azb-bench-plain")
module(load="imfile")
input(type="imfile" file="/var/log/ulog/syslogemu.log" tag="nflog" freshStartTail="on" ruleset="fwd")
ruleset(name="fwd") {
  if $msg contains "azb:office-lab-burst" then
    action(type="omfwd" target="%s" port="%d" protocol="tcp" action.resumeRetryCount="-1" action.resumeInterval="1")
}
"""
# Its collector: plain TCP, every message as received.
PLAIN_COLLECTOR = """global(workDirectory="%(run)s/plain.spool")
module(load="imtcp")
input(type="imtcp" port="%(port)d" address="%(addr)s" ruleset="store")
template(name="asis" type="string" string="%%rawmsg%%\\n")
ruleset(name="store") { action(type="omfile" file="%(run)s/plain-events.log" template="asis") }
"""


def run(cmd, timeout=120, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False, **kw)
    if check and res.returncode != 0:
        sys.exit("%s failed: %s%s" % (cmd, res.stdout[-2000:], res.stderr[-2000:]))
    return res


def ssh(cmd, timeout=60, check=True):
    return run(SSH + ["root@" + BOX, cmd], timeout=timeout, check=check)


def pki():
    return os.path.join(WORK, "pki")


def lab(*args):
    return run([PY, "-m", "tests.lab.azblab", "--inventory", os.path.join(WORK, "lab-inventory.yml")] + list(args),
               timeout=900)


def setup(appliance, converge):
    """The appliance (leased by this process), its two clients, the collector namespace, the converge."""
    os.makedirs(WORK, exist_ok=True)
    os.environ["AZB_LAB_LEASE_PID"] = str(os.getpid())
    lab("up", "--names", appliance, "--image", "nfv")
    for label, bridge, addr, gw in (("c1", "br1", C1 + "/24", "10.1.0.1"), ("c3", "br3", "10.3.0.50/24", "10.3.0.1")):
        run([PY, "-m", "tests.lab.azblab", "client", "del", appliance, label], check=False)
        lab("client", "add", appliance, label, "--bridge", bridge, "--address", addr, "--gateway", gw)
    collector("netns-up")
    if converge:
        t0 = time.monotonic()
        run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", os.path.join(WORK, "lab-inventory.yml"),
             os.path.join(REPO, "bench/logship_site.yml"), "-e", "azb_pki_dir=" + pki(),
             "-e", "bench_collector_address=" + ADDR], timeout=1800,
            env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")))
        print("converged %s in %.0f s" % (appliance, time.monotonic() - t0))


def teardown(appliance):
    collector("netns-down")
    for label in ("c1", "c3"):
        run([PY, "-m", "tests.lab.azblab", "client", "del", appliance, label], check=False)


def collector(*args):
    run([os.path.join(SCENARIO, "collector.sh")] + list(args), env=ENV)


def tls_start():
    p = pki()
    collector("start", "siem", p + "/ca.crt", p + "/certs/siem.crt", p + "/private/siem.key", "tcp")


class PlainCollector(object):
    def start(self):
        os.makedirs(RUN + "/plain.spool", exist_ok=True)
        with open(RUN + "/plain.conf", "w") as fh:
            fh.write(PLAIN_COLLECTOR % {"run": RUN, "port": PLAIN_PORT, "addr": ADDR})
        open(RUN + "/plain-events.log", "a").close()
        self.proc = subprocess.Popen(["ip", "netns", "exec", COLLECTOR_NS, "/usr/sbin/rsyslogd", "-n", "-f",
                                      RUN + "/plain.conf", "-i", RUN + "/plain.rsyslogd.pid"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _attempt in range(100):
            if "LISTEN" in run(["ip", "netns", "exec", COLLECTOR_NS, "ss", "-Hltn", "sport = :%d" % PLAIN_PORT]).stdout:
                return
            time.sleep(0.1)
        sys.exit("plain collector did not listen")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def ports_seen(path, lo, hi):
    """Source ports of the burst's events in a collector file, with repetitions."""
    out = []
    with open(path) as fh:
        for line in fh:
            m = re.search(r'(?:"sport":"|SPT=)(\d+)', line)
            if m and lo <= int(m.group(1)) < hi and "office-lab-burst" in line:
                out.append(int(m.group(1)))
    return out


def arrival_times(path, lo, hi, n, deadline_s):
    """(first, last) monotonic arrival time of the burst's N events in PATH, polled every 20 ms."""
    first = last = None
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        got = len(set(ports_seen(path, lo, hi)))
        now = time.monotonic()
        if got and first is None:
            first = now
        if got >= n:
            last = now
            break
        time.sleep(0.02)
    return first, last


def burst(n, base, rate=None):
    code = ("import socket,time\nfor i in range(%d):\n s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            " s.bind(('',%d+i)); s.sendto(b'x',('%s',9999)); s.close()\n%s"
            % (n, base, C1, (" time.sleep(%f)\n" % (1.0 / rate)) if rate else ""))
    t0 = time.monotonic()
    run(["ip", "netns", "exec", NS, sys.executable, "-c", code], timeout=600)
    return time.monotonic() - t0


def throughput(n, base):
    files = {"azb (JSON, RFC 5425 TLS, DA queue)": RUN + "/siem-events.log",
             "rsyslog plain TCP forwarding": RUN + "/plain-events.log"}
    results = {}
    threads = []

    def watch(label, path):
        results[label] = arrival_times(path, base, base + n, n, 300)

    for label, path in files.items():
        t = threading.Thread(target=watch, args=(label, path))
        t.start()
        threads.append(t)
    produced = burst(n, base)
    for t in threads:
        t.join()
    rows = []
    for label, path in files.items():
        first, last = results[label]
        got = ports_seen(path, base, base + n)
        rate = n / (last - first) if first and last and last > first else None
        rows.append((label, len(set(got)), len(got) - len(set(got)), rate))
    return produced, rows


def restart(n, base, outage, plain):
    """N events at ~n/(2*outage) per second; both collectors stopped for OUTAGE s in the middle."""
    rate = n / (3.0 * outage)
    t = threading.Thread(target=burst, args=(n, base, rate))
    t.start()
    time.sleep(outage)
    collector("stop", "siem")
    plain.stop()
    time.sleep(outage)
    tls_start()
    plain.start()
    t.join()
    deadline = time.monotonic() + 120
    rows = []
    for label, path in (("azb (JSON, RFC 5425 TLS, DA queue)", RUN + "/siem-events.log"),
                        ("rsyslog plain TCP forwarding", RUN + "/plain-events.log")):
        while time.monotonic() < deadline and len(set(ports_seen(path, base, base + n))) < n:
            time.sleep(0.5)
        got = ports_seen(path, base, base + n)
        rows.append((label, n - len(set(got)), len(got) - len(set(got))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--outage", type=float, default=10.0)
    ap.add_argument("--appliance", default="lab-a21")
    ap.add_argument("--no-converge", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the clients and the collector namespace")
    args = ap.parse_args()
    configure(args.appliance)
    setup(args.appliance, not args.no_converge)
    collector("stop", "siem")
    tls_start()
    plain = PlainCollector()
    plain.start()
    ssh("mkdir -p /run/azb-bench-plain && cat > /run/azb-bench-plain/plain.conf <<'EOF'\n%sEOF\n"
        "rsyslogd -f /run/azb-bench-plain/plain.conf -i /run/azb-bench-plain/rsyslogd.pid"
        % (PLAIN_CONF_TEXT % (ADDR, PLAIN_PORT)))
    try:
        time.sleep(2)
        produced, rows = throughput(args.events, 20000)
        print("\nthroughput: %d logged packets produced in %.1f s (both pipelines read the same nflog file)"
              % (args.events, produced))
        print("%-38s %10s %11s %12s" % ("pipeline", "arrived", "duplicates", "events/s"))
        for label, got, dup, rate in rows:
            print("%-38s %10d %11d %12s" % (label, got, dup, "%.0f" % rate if rate else "-"))
        n = min(args.events, 1500)
        rows = restart(n, 40000, args.outage, plain)
        print("\ncollector restart: %d events over %.0f s, each collector stopped %.0f s in the middle"
              % (n, 3 * args.outage, args.outage))
        print("%-38s %10s %11s" % ("pipeline", "lost", "duplicates"))
        for label, lost, dup in rows:
            print("%-38s %10d %11d" % (label, lost, dup))
    finally:
        ssh("kill $(cat /run/azb-bench-plain/rsyslogd.pid) 2>/dev/null; rm -rf /run/azb-bench-plain", check=False)
        plain.stop()
        collector("stop", "siem")
        if not args.keep:
            teardown(args.appliance)


if __name__ == "__main__":
    main()
