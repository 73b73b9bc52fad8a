"""QoS benchmark (not a test): voice latency and loss under a bulk upload that saturates the WAN,
side by side for three set-ups of the same box in the same run:

  * azb_qos (classes: voice realtime, the NVR zone bulk; HTB at 20 Mbit/s under a 22 Mbit/s modem),
  * a plain 20 Mbit/s TBF on the WAN (what a user would pick to "rate-limit the uplink": one FIFO),
  * nothing on the box (the queue forms in the ISP modem).

It uses the qos scenario's lab (lab-a22, its clients, our server, the modem) through Molecule:
create, prepare and converge unless --no-setup, destroy with --down. Every flow is bounded.

    make collection
    sudo .venv/bin/python -m bench.qos_bench [--runs 3] [--no-setup] [--down]
"""
import argparse
import os
import statistics
import subprocess
import sys

from bench import lablib
from bench.lablib import REPO

sys.path.insert(0, os.path.join(REPO, "extensions", "molecule", "qos", "tests"))

import flows  # noqa: E402  (the scenario's traffic helpers)

TBF = "tc qdisc replace dev wan1 root tbf rate 20mbit burst 32kbit latency 50ms"


def molecule(*steps):
    for step in steps:
        lablib.molecule("qos", step)


def box(cmd):
    from tests.lab.azblab import system, topology
    app = topology.appliance(int(flows.IDX))
    key = os.path.join(system.STATE_DIR, "ssh", "id_ed25519")
    return subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "LogLevel=ERROR", "root@%s" % app.mgmt_address, cmd], capture_output=True, text=True,
                          timeout=60, check=False)


def measure(runs):
    out = []
    for _run in range(runs):
        idle = flows.voice(250)
        v, bulk = flows.voice_under_bulk()
        out.append((idle, v, bulk))
    return out


def summary(name, results):
    rise = [v["p99_ms"] - idle["p99_ms"] for idle, v, _b in results if v["p99_ms"] is not None]
    lost = sum(v["lost"] for _i, v, _b in results)
    sent = sum(v["sent"] for _i, v, _b in results)
    return "| %-28s | %5d / %-5d | %8.2f | %8.2f | %10.2f | %8.2f |" % (
        name, lost, sent, statistics.median(v["p50_ms"] for _i, v, _b in results),
        statistics.median(v["p99_ms"] for _i, v, _b in results), statistics.median(rise) if rise else float("nan"),
        statistics.median(b for _i, _v, b in results))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-setup", action="store_true")
    ap.add_argument("--down", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
    os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg"))
    sys.path.insert(0, REPO)
    if not args.no_setup:
        molecule("create", "prepare", "converge")
    servers = flows.start_servers(seconds=1800)
    rows = []
    try:
        rows.append(summary("azb_qos (HTB classes)", measure(args.runs)))
        box(flows.QOS_OFF)
        box(TBF)
        rows.append(summary("plain TBF 20 Mbit/s (1 FIFO)", measure(args.runs)))
        box(flows.QOS_OFF)
        rows.append(summary("no shaping (modem queue)", measure(args.runs)))
    finally:
        box(flows.QOS_OFF)
        box(flows.QOS_ON)
        for p in servers:
            p.terminate()
            p.wait(10)
    print("\nvoice (50 pps, 160 B) during a 4-stream bulk upload, %d runs each, medians" % args.runs)
    print("| set-up                       | voice lost    | p50 ms   | p99 ms   | p99 rise ms | bulk Mbit/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if args.down:
        molecule("destroy")


if __name__ == "__main__":
    main()
