#!/usr/bin/env python
"""Benchmark (not a test): VMs from inventory to ping, and no-op converge, azb vs the alternatives.

Runs on one lab appliance (default lab-a6, its own inventory) and, in the same run, compares:
  azb       the workloads role (azb_vms -> azblink.nfv.azb_vm), as a user would run it
  virt      community.libvirt.virt (define from XML, then state running + autostart), one task per VM
            in a loop; the collection comes from PyPI's `ansible` package (see --libvirt-collections)
  virsh     `virsh define` + `virsh start` + `virsh autostart` through ansible.builtin.command in a loop
All three define the same domain XML (azb_vm's renderer): the lab guest, diskless, 128 MiB, one NIC
on br3, static address. Measured from the start of ansible-playbook to every VM answering ping
(polled inside the appliance every 0.2 s), and to the last VM's QEMU starting (libvirt's domain log,
same clock: the guest's own boot, a few seconds either way, is left out, so this column shows what
the tool decides); no-op = a second run with nothing to change.

  .venv/bin/python bench/vm_bench.py [--appliance lab-a6] [--ways azb virt virsh] [--reps N] [--sizes 1 5 10] [--keep]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv/bin/python")
PLAYBOOK = os.path.join(REPO, ".venv/bin/ansible-playbook")
GUEST = "/var/lib/azblink/lab-guest"
CMDLINE = "console=ttyS0,115200 quiet mitigations=off panic=5 azb.nodisk azb.nowatchdog"


def sh(argv, **kw):
    check = kw.pop("check", True)
    return subprocess.run(argv, capture_output=True, text=True, check=check, **kw)


class Bench(object):
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="azb-vm-bench-")
        self.inventory = os.path.join(self.tmp, "lab-inventory.yml")
        self.env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                        ANSIBLE_COLLECTIONS_PATH="%s:%s" % (args.collections, args.libvirt_collections))
        self.rows = []

    def up(self):
        sh([PY, "-m", "tests.lab.azblab", "--inventory", self.inventory, "up", "--names", self.args.appliance,
            "--image", "nfv"], cwd=REPO, timeout=600)
        with open(self.inventory) as f:
            host = yaml.safe_load(f)["all"]["children"]["azb_lab"]["hosts"][self.args.appliance]
        self.ssh = ["ssh", "-q", "-i", host["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                    "%s@%s" % (host["ansible_user"], host["ansible_host"])]

    def down(self):
        sh([PY, "-m", "tests.lab.azblab", "--inventory", self.inventory, "down", "--only", self.args.appliance],
           cwd=REPO, timeout=300, check=False)

    def remote(self, script, timeout=300):
        return sh(self.ssh + [script], timeout=timeout)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def play(self, path, extra=None):
        argv = [PLAYBOOK, "-i", self.inventory, path]
        if extra is not None:
            argv += ["-e", "@" + self.write("extra.json", json.dumps(extra))]
        t0 = time.time()
        p = sh(argv, cwd=REPO, env=self.env, timeout=1200, check=False)
        if p.returncode:
            sys.exit("playbook %s failed:\n%s" % (path, p.stdout[-4000:]))
        recap = [line for line in p.stdout.splitlines() if "changed=" in line]
        return time.time() - t0, recap[-1].split("changed=")[1].split()[0] if recap else "?"

    def wait_ping(self, ips, timeout=300):
        script = ("end=$(( $(date +%%s) + %d )); for ip in %s; do until ping -c1 -W1 $ip >/dev/null; do "
                  "[ $(date +%%s) -gt $end ] && echo TIMEOUT $ip && exit 1; sleep 0.2; done; done"
                  % (timeout, " ".join(ips)))
        self.remote(script, timeout=timeout + 30)

    def clean(self):
        self.remote("for d in $(virsh list --all --name | grep '^bench'); do virsh destroy $d >/dev/null 2>&1; "
                    "virsh undefine $d >/dev/null; done; true")

    # --- the three ways -------------------------------------------------------------------------
    def vms(self, n):
        return [{"name": "bench%d" % i, "memory": 128, "ip": "10.3.0.%d" % (100 + i)} for i in range(n)]

    def azb_vars(self, vms):
        return {"azb_zones": [{"name": "office", "bridge": "br3", "role": "trusted", "address": "10.3.0.1/24"}],
                "azb_vms": [{"name": v["name"], "memory": v["memory"], "autostart": True,
                             "boot": {"kernel": GUEST + "/vmlinuz", "initrd": GUEST + "/initrd.img",
                                      "cmdline": "%s azb.ip=%s/24 azb.hostname=%s" % (CMDLINE, v["ip"], v["name"])},
                             "nics": [{"zone": "office"}]} for v in vms]}

    def xmls(self, vms):
        sys.path.insert(0, self.args.collections)
        from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, plan
        out = []
        for v in self.azb_vars(vms)["azb_vms"]:
            p = dict(v, nics=[{"bridge": "br3"}], rate_limit_backend="tc")
            out.append({"name": v["name"], "xml": plan.desired_xml(model.validate(p), None, "tc")})
        return out

    def run_way(self, way, vms):
        if way == "azb":
            return self.play(self.pb_azb, self.azb_vars(vms))
        return self.play(self.pb_virt if way == "virt" else self.pb_virsh, {"bench_domains": self.xmls(vms)})

    def measure(self, way, n, label):
        self.clean()
        vms = self.vms(n)
        t0 = time.time()
        secs, changed = self.run_way(way, vms)
        self.wait_ping([v["ip"] for v in vms])
        total = time.time() - t0
        qemu = self.qemu_started([v["name"] for v in vms]) - t0
        self.rows.append((label, way, n, "%.1f" % secs, "%.2f" % qemu, "%.1f" % total, changed))
        print("%-28s %-6s %2d VMs: playbook %.1f s, QEMU up %.2f s, to ping %.1f s (changed=%s)"
              % (label, way, n, secs, qemu, total, changed), flush=True)
        return vms

    def qemu_started(self, names):
        """When the last of `names` started its QEMU (libvirt's domain log: 'YYYY-MM-DD HH:MM:SS.mmm+0000:
        starting up'), as a Unix time."""
        out = self.remote("for v in %s; do grep -h 'starting up' /var/log/libvirt/qemu/$v.log | tail -1 | cut -c1-23; "
                          "done" % " ".join(names)).stdout.split("\n")
        return max(datetime.datetime.fromisoformat(line.strip()).replace(tzinfo=datetime.timezone.utc).timestamp()
                   for line in out if line.strip())

    def noop(self, way, vms):
        secs, changed = self.run_way(way, vms)
        self.rows.append(("no-op converge", way, len(vms), "%.1f" % secs, "-", "-", changed))
        print("%-28s %-6s %2d VMs: %.1f s (changed=%s)" % ("no-op converge", way, len(vms), secs, changed), flush=True)

    def main(self):
        self.up()
        try:
            self.prepare()
            floor, _c = self.play(self.pb_ping)
            self.rows.append(("ansible floor (ping task)", "-", 0, "%.1f" % floor, "-", "-", "0"))
            # The ways alternate row by row (and rotate each repetition), so the load of this shared
            # machine falls on all of them alike.
            for rep in range(self.args.reps):
                ways = self.args.ways[rep % len(self.args.ways):] + self.args.ways[:rep % len(self.args.ways)]
                for n, label in ((1, "inventory-to-ping, 1 VM"), (5, "inventory-to-ping, 5 VMs")):
                    if n in self.args.sizes:
                        for way in ways:
                            self.measure(way, n, label)
                if 10 in self.args.sizes:
                    for way in ways:
                        vms = self.measure(way, 10, "define+start 10 VMs")
                        self.noop(way, vms)
            self.clean()
        finally:
            if not self.args.keep:
                self.down()
        print("\n| measure | way | VMs | playbook s | QEMU up s | to ping s | tasks changed |\n"
              "| --- | --- | --- | --- | --- | --- | --- |")
        for r in self.rows:
            print("| %s | %s | %s | %s | %s | %s | %s |" % r)

    def prepare(self):
        self.pb_ping = self.write("ping.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n"
                                  "    - ansible.builtin.ping:\n")
        prep = self.write("prep.yml", """- hosts: all
  gather_facts: true
  tasks:
    - name: Zone bridge br3 (stand-in for the zones role)
      ansible.builtin.shell: ip link add br3 type bridge 2>/dev/null; ip addr replace 10.3.0.1/24 dev br3; ip link set br3 up
      changed_when: false
    - name: Hypervisor and workloads helpers
      ansible.builtin.include_role:
        name: "{{ item }}"
      loop: [azblink.nfv.hypervisor, azblink.nfv.workloads]
""")
        self.play(prep, {"azb_vms": [], "azb_zones": []})
        # No gather_facts: the role learns what it reads of the box itself (azb_box_facts, one call),
        # as site.yml does; --azb-gather-facts measures the play with them.
        self.pb_azb = self.write("azb.yml", "- hosts: all\n  gather_facts: %s\n  roles:\n"
                                 "    - azblink.nfv.workloads\n" % str(self.args.azb_gather_facts).lower())
        self.pb_virt = self.write("virt.yml", """- hosts: all
  gather_facts: false
  tasks:
    - name: Define
      community.libvirt.virt:
        command: define
        xml: "{{ item.xml }}"
      loop: "{{ bench_domains }}"
    - name: Running and autostarted
      community.libvirt.virt:
        name: "{{ item.name }}"
        state: running
        autostart: true
      loop: "{{ bench_domains }}"
""")
        self.pb_virsh = self.write("virsh.yml", """- hosts: all
  gather_facts: false
  tasks:
    - name: Write the XML
      ansible.builtin.copy:
        dest: "/tmp/{{ item.name }}.xml"
        content: "{{ item.xml }}"
        mode: "0600"
      loop: "{{ bench_domains }}"
    - name: virsh define, start, autostart
      ansible.builtin.shell: |
        virsh define /tmp/{{ item.name }}.xml
        virsh domstate {{ item.name }} | grep -q running || virsh start {{ item.name }}
        virsh autostart {{ item.name }}
      loop: "{{ bench_domains }}"
      changed_when: true
""")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appliance", default="lab-a6")
    ap.add_argument("--collections", default=os.path.join(REPO, "build/collections"))
    ap.add_argument("--libvirt-collections", default=os.path.join(REPO, "build/bench-collections"),
                    help="a collections path with community.libvirt (e.g. extracted from the ansible wheel)")
    ap.add_argument("--ways", nargs="+", default=["azb", "virt", "virsh"])
    ap.add_argument("--keep", action="store_true", help="leave the appliance running")
    ap.add_argument("--reps", type=int, default=1, help="repetitions, the order of the ways rotated each time")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10], choices=[1, 5, 10],
                    help="the rows to run: 1 and 5 VMs to ping, 10 VMs defined and started (+ their no-op)")
    ap.add_argument("--azb-gather-facts", action="store_true",
                    help="the workloads play with gather_facts: true (the role does not need them)")
    Bench(ap.parse_args()).main()
