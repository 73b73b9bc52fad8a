"""Benchmark: the zones firewall at 10,000 ACL entries, against what a user would otherwise use.

On a dedicated lab appliance (lab-a2) it measures, in one run:
  1. azb_zone applying N entries from nothing, through Ansible, minus Ansible's own floor
     (the same play with a `ping` task);
  2. raw `nft -f` of the very ruleset azb_zone rendered, timed on the box;
  3. ansible.builtin.iptables in a loop for a few hundred rules, extrapolated to N (said so);
  4. a one-rule change on the N-entry set, and a no-op re-apply;
  5. iperf3 throughput between two zones (br3 -> br4) with no ruleset and with the N entries.
Not a test: it prints a table. Usage: python -m bench.zones_bench [N]   (root; uses the lab)
"""
import functools
import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
APPLIANCE = "lab-a2"
INDEX = 2
INVENTORY = os.path.join(REPO, ".lab", "bench-zones.yml")
PY = os.path.join(REPO, ".venv", "bin", "python")
BIN = os.path.join(REPO, ".venv", "bin")
ENV = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
           ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH",
                                                   os.path.join(REPO, "build", "collections")),
           PATH=BIN + ":" + os.environ["PATH"])
IPTABLES_SAMPLE = 100


def lab(*args):
    subprocess.run([PY, "-m", "tests.lab.azblab", "--inventory", INVENTORY] + list(args), cwd=REPO,
                   check=True, env=ENV, stdout=subprocess.DEVNULL)


def ssh(cmd, timeout=300):
    with open(INVENTORY) as fh:
        inv = yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"][APPLIANCE]
    argv = ["ssh", "-i", inv["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@" + inv["ansible_host"], cmd]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True).stdout


def playbook(tasks, extra=None):
    """Run one play on the bench appliance; -> wall seconds."""
    play = [{"name": "bench", "hosts": APPLIANCE, "gather_facts": False, "become": True,
             "vars_files": [extra] if extra else [], "tasks": tasks}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        json.dump(play, fh)
        path = fh.name
    try:
        t0 = time.perf_counter()
        res = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", INVENTORY, path], cwd=REPO,
                             env=ENV, capture_output=True, text=True, check=False)
        secs = time.perf_counter() - t0
    finally:
        os.unlink(path)
    if res.returncode != 0:
        raise RuntimeError(res.stdout[-3000:] + res.stderr[-2000:])
    return secs, res.stdout


def zone_vars(n, port_shift=0, shape="policies"):
    zones = [
        {"name": "wan", "role": "wan", "bridge": "br0", "interfaces": ["wan1"],
         "address": ["192.0.2.18/29"], "gateway": "192.0.2.17"},
        {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["lc-b3"], "address": ["10.3.0.1/16"]},
        {"name": "dev", "role": "trusted", "bridge": "br4", "interfaces": ["lc-b4"], "address": ["10.4.0.1/24"]},
    ]
    if shape == "policies":  # worst case: N policies of one entry each
        policies = [{"name": "p%d" % i, "from": ["10.3.%d.%d" % (i // 250 + 1, i % 250 + 1)], "to": ["dev"],
                     "proto": "tcp", "ports": [str(1024 + (i + port_shift) % 60000)]} for i in range(n - 1)]
    else:  # an allow list: one policy, N source addresses
        policies = [{"name": "partners", "from": ["10.3.%d.%d" % (i // 250 + 1, i % 250 + 1) for i in range(n - 1)],
                     "to": ["dev"], "proto": "tcp", "ports": ["443"]}]
    policies.append({"name": "iperf", "from": ["office"], "to": ["dev"], "proto": "tcp", "ports": ["5201"]})
    return {"zones": zones, "policies": policies, "management_sources": ["198.18.0.1/32"]}


def zone_task(state="present"):
    a = {"state": state, "zones": "{{ bench_zone.zones }}", "policies": "{{ bench_zone.policies }}",
         "management_sources": "{{ bench_zone.management_sources }}"}
    return [{"name": "azb_zone", "azblink.nfv.azb_zone": a, "register": "r"},
            {"name": "show", "ansible.builtin.debug": {"msg": "ACTIONS={{ r.actions | default([]) | to_json }}"}}]


def write_vars(data):
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump({"bench_zone": data}, fh)
    return path


def iperf(secs=3):
    srv = subprocess.Popen(["ip", "netns", "exec", "azb-a2-c-b4", "iperf3", "-s", "-1", "-B", "10.4.0.50"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    try:
        out = subprocess.run(["ip", "netns", "exec", "azb-a2-c-b3", "iperf3", "-c", "10.4.0.50", "-t", str(secs),
                              "-J"], capture_output=True, text=True, timeout=secs + 20, check=True).stdout
    finally:
        srv.wait(10)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9


def best(fn, reps=3):
    """The least of a few runs: the noise on a shared 2-core machine only ever adds time."""
    return min(fn() for _rep in range(reps))


def alternate(files):
    """Apply the other of two vars files (they differ by one entry): a one-rule change each time."""
    files.reverse()
    secs, out = playbook(zone_task(), files[0])
    assert "update set elements" in out, "a one-rule change was not an element update"
    return secs


def drop_tables():
    ssh("nft delete table inet azblink; nft delete table bridge azblink_l2; true")


def main(n):
    rows = []
    lab("up", "--names", APPLIANCE, "--image", "nfv")
    for label, br, addr, gw in (("b3", "br3", "10.3.0.50/16", "10.3.0.1"), ("b4", "br4", "10.4.0.50/24", "10.4.0.1")):
        lab("client", "add", APPLIANCE, label, "--bridge", br, "--address", addr, "--gateway", gw)
    ssh("sysctl -qw net.ipv4.ip_forward=1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables"
        " >/dev/null 2>&1; true")
    drop_tables()
    floor = best(lambda: playbook([{"name": "ping", "ansible.builtin.ping": {}}])[0])
    files = {}
    try:
        small = files["small"] = write_vars(zone_vars(2))
        playbook(zone_task(), small)          # bridges and links in place
        results = {}
        for shape in ("policies", "list"):
            full = files[shape] = write_vars(zone_vars(n, shape=shape))
            alt = zone_vars(n, shape=shape)
            if shape == "policies":   # one policy's port
                alt["policies"][0]["ports"] = ["65000"]
            else:                     # one address of the list
                alt["policies"][0]["from"][0] = "10.3.250.250"
            alt = files[shape + "-alt"] = write_vars(alt)

            def from_nothing(full=full):
                drop_tables()
                return playbook(zone_task(), full)[0]
            t_apply = best(from_nothing)
            t_noop = best(lambda full=full: playbook(zone_task(), full)[0])
            t_one = best(functools.partial(alternate, [full, alt]))
            results[shape] = (t_apply, t_noop, t_one)

        render_args = {"state": "rendered", "zones": "{{ bench_zone.zones }}",
                       "policies": "{{ bench_zone.policies }}",
                       "management_sources": "{{ bench_zone.management_sources }}"}
        playbook([{"name": "render", "azblink.nfv.azb_zone": render_args, "register": "r"},
                  {"name": "copy", "ansible.builtin.copy": {"content": "{{ r.rendered.ruleset }}",
                                                            "dest": "/tmp/bench.nft", "mode": "0600"}}],
                 files["policies"])

        def raw():
            drop_tables()
            return float(ssh("python3 -c \"import subprocess,time;t=time.perf_counter();"
                             "subprocess.run(['nft','-f','/tmp/bench.nft'],check=True);"
                             "print(time.perf_counter()-t)\""))
        t_raw = best(raw)

        labels = {"policies": "%d policies of one entry" % n, "list": "1 policy, %d sources" % n}
        for shape, (t_apply, t_noop, t_one) in results.items():
            rows.append(("azb_zone apply from nothing (%s)" % labels[shape], t_apply - floor))
            rows.append(("  / raw nft -f of the same ruleset", (t_apply - floor) / t_raw))
            rows.append(("azb_zone no-op re-apply (%s)" % labels[shape], t_noop - floor))
            rows.append(("azb_zone one-rule change, element update (%s)" % labels[shape], t_one - floor))
        rows.append(("raw nft -f of the %d-entry ruleset, on the box" % n, t_raw))

        # Throughput: best of 3 short runs each. "Empty" has no ruleset at all (no conntrack either);
        # the 2-entry ruleset isolates the cost of the entries from the cost of being stateful.
        playbook(zone_task(), files["policies"])
        gbps_set = max(iperf() for _rep in range(3))
        playbook(zone_task(), files["small"])
        gbps_small = max(iperf() for _rep in range(3))
        drop_tables()
        gbps_empty = max(iperf() for _rep in range(3))
        rows.append(("iperf3 br3->br4, empty ruleset (Gbit/s)", gbps_empty))
        rows.append(("iperf3 br3->br4, zones ruleset with 2 entries (Gbit/s)", gbps_small))
        rows.append(("iperf3 br3->br4, %d entries loaded (Gbit/s)" % n, gbps_set))
        rows.append(("  throughput with %d entries / empty ruleset" % n, gbps_set / gbps_empty))
        rows.append(("  throughput with %d entries / 2 entries" % n, gbps_set / gbps_small))

        ipt_tasks = [{"name": "iptables rule", "ansible.builtin.iptables": {
            "chain": "FORWARD", "source": "10.3.{{ (item // 250) + 1 }}.{{ item % 250 + 1 }}",
            "destination": "10.4.0.0/24", "protocol": "tcp", "destination_port": "{{ 1024 + item }}",
            "jump": "ACCEPT"}, "loop": "{{ range(%d) | list }}" % IPTABLES_SAMPLE}]
        t_ipt = playbook(ipt_tasks)[0]
        ssh("iptables -F FORWARD")
        per_rule = (t_ipt - floor) / IPTABLES_SAMPLE
        rows.append(("ansible.builtin.iptables loop: %d rules measured" % IPTABLES_SAMPLE, t_ipt - floor))
        rows.append(("  extrapolated to %d rules (x%d, not measured)" % (n, n // IPTABLES_SAMPLE), per_rule * n))
    finally:
        for f in files.values():
            if os.path.exists(f):
                os.unlink(f)
        lab("down", "--only", APPLIANCE)
    print("\nzones firewall benchmark (%d ACL entries); Ansible floor (a ping play, best of 3) %.2f s;"
          " times are the best of 3 runs, minus the floor" % (n, floor))
    print("%-70s %10s" % ("measure", "value"))
    for name, val in rows:
        print("%-70s %10.3f" % (name, val))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
