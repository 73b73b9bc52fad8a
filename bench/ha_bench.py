"""HA takeover benchmark (not a test): the time the zone gateway is silent for a client when the
master's power is pulled, median and p95 over N trials, with the pair's settings (VRRPv3, 250 ms
adverts) against keepalived's defaults (1 s adverts), in the same run; and whether an established,
server-driven TCP session survived each takeover (conntrackd).

It uses the ha scenario's lab (lab-a23 + lab-a24, the shared segments, the client, our server)
through Molecule: create, prepare, converge unless --no-setup; destroy with --down.

    make collection
    sudo .venv/bin/python -m bench.ha_bench [--trials 10] [--no-setup] [--down]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

import yaml

from bench import lablib
from bench.lablib import REPO, p95

sys.path.insert(0, os.path.join(REPO, "extensions", "molecule", "ha", "tests"))

import pair  # noqa: E402  (the scenario's pair and traffic helpers)

SETTINGS = [("azb_ha (VRRPv3, 250 ms adverts)", 250), ("keepalived defaults (1 s adverts)", 1000)]


def molecule(step, *extra):
    lablib.molecule("ha", step, *extra)


def converge(advert_ms):
    ha = dict(pair.VARS["azb_ha"], advert_ms=advert_ms)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        yaml.safe_dump({"azb_ha": ha}, fh)
    try:
        molecule("converge", "-e", "@" + fh.name)
    finally:
        os.unlink(fh.name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--no-setup", action="store_true")
    ap.add_argument("--down", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
    os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg"))
    if not args.no_setup:
        molecule("create")
        molecule("prepare")
    server = pair.start_ticker_server(seconds=3600)
    rows = []
    try:
        for name, advert in SETTINGS:
            converge(advert)
            outages, survived = [], 0
            for _trial in range(args.trials):
                old, new, outage, tick, _egress = pair.takeover()
                outages.append(outage if outage is not None else float("nan"))
                survived += tick.get("error") is None and tick.get("since_last_tick_s", 99) < 1.5
                pair.boot_back_as_backup(old, new)
                print(json.dumps({"setting": name, "outage_s": outage, "session": tick}), flush=True)
            rows.append("| %-34s | %6d | %8.3f | %8.3f | %8.3f | %d / %d |" % (
                name, len(outages), statistics.median(outages), p95(outages), max(outages), survived, len(outages)))
    finally:
        server.terminate()
        server.wait(10)
        converge(pair.VARS["azb_ha"].get("advert_ms", 250))
    print("\ngateway silence seen by a client when the master's power is pulled")
    print("| setting                            | trials | median s | p95 s    | max s    | sessions kept |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if args.down:
        molecule("destroy")


if __name__ == "__main__":
    main()
