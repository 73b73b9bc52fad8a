"""`make demo`: build lab appliances, converge the reference site on them, show it works by traffic.

One line per step with its time; every tool's own output goes to build/demo/demo.log. The steps:
the appliances and their clients, playbooks/site.yml (hypervisor, zones, WAN, PKI and VPN, the lab
guest VM), verify.yml's health gate, the traffic table of tests/lab/demo_check.py, and
playbooks/evidence.yml, whose report path ends the output. The appliances are leased by this run
(AZB_LAB_LEASE_PID), so a test run that needs them waits.
"""
import argparse
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "build", "demo")
LOG = os.path.join(OUT, "demo.log")
BIN = os.path.join(REPO, ".venv", "bin")
# The demo's client hosts, one per zone of the reference site (inventories/lab), on every appliance.
CLIENTS = (("c1", "br1", "10.1.0.50/24", "10.1.0.1"), ("web", "br2", "10.2.0.10/24", "10.2.0.1"),
           ("c3", "br3", "10.3.0.50/24", "10.3.0.1"), ("c4", "br4", "10.4.0.50/24", "10.4.0.1"))


def step(title, argvs, show=False):
    """Run each argv, output to the log (and to the screen with show); one line with the time."""
    t0 = time.monotonic()
    print("%-68s" % title, end=" ", flush=True)
    with open(LOG, "a") as log:
        for argv in argvs:
            log.write("\n$ %s\n" % " ".join(argv))
            log.flush()
            # Streamed to the log as it comes (a long converge can be followed with tail -f); a step
            # whose output is the point (the traffic table) is also shown.
            res = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE if show else log, stderr=subprocess.STDOUT,
                                 text=True, check=False, stdin=subprocess.DEVNULL)
            if show:
                log.write(res.stdout)
                print("\n" + res.stdout.rstrip(), end="")
            if res.returncode != 0:
                print("\nFAILED after %.0f s (see %s)" % (time.monotonic() - t0, LOG))
                sys.exit(1)
    print("%s%5.0f s" % ("\n" + " " * 69 if show else "", time.monotonic() - t0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliances", type=int, default=1)
    ap.add_argument("--image", default="nfv")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    open(LOG, "w").close()
    os.environ["AZB_LAB_LEASE_PID"] = str(os.getpid())
    os.environ.setdefault("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg"))
    n = args.appliances
    names = ["lab-a%d" % i for i in range(1, n + 1)]
    lab = [os.path.join(BIN, "python"), "-m", "tests.lab.azblab"]
    play = [os.path.join(BIN, "ansible-playbook"), "-i", ".lab/inventory.yml", "-i", "inventories/lab"]
    t0 = time.monotonic()
    print("azblink.nfv demo on %s (tools' output: %s)" % (", ".join(names), os.path.relpath(LOG, REPO)))
    step("start the appliances and their world", [lab + ["up", str(n), "--image", args.image]])
    step("plug a client into every zone bridge",
         [lab + ["client", "add", a, label, "--bridge", b, "--address", addr, "--gateway", gw]
          for a in names for label, b, addr, gw in CLIENTS])
    step("converge site.yml: hypervisor, zones, wan, pki, vpn, workloads", [play + ["playbooks/site.yml"]])
    step("verify.yml: the health gate", [play + ["playbooks/verify.yml"]])
    step("traffic table", [lab[:2] + ["tests.lab.demo_check", str(i)] for i in range(1, n + 1)], show=True)
    evidence = os.path.join(OUT, "evidence")
    step("evidence.yml: zone matrix probed from every zone, report written",
         [play + ["playbooks/evidence.yml", "-e", "azb_evidence_dir=" + evidence]])
    print("demo done in %.0f s; evidence report: %s" % (time.monotonic() - t0, os.path.join(evidence, "index.html")))


if __name__ == "__main__":
    main()
