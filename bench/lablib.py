"""What the benchmarks share: commands with a time bound, the lab CLI, an appliance's inventory
entry and ssh, a converge of roles, a Molecule step, the p95 they report and the collection at an
earlier revision."""
import json
import os
import subprocess
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(REPO, ".venv", "bin", "python")


def collection_at(rev, root):
    """The collection as it was at `rev` (git archive) under `root`/ansible_collections/azblink/nfv,
    extracted once; -> that tree (pass `root` as the collections path)."""
    tree = os.path.join(root, "ansible_collections", "azblink", "nfv")
    if not os.path.isdir(tree):
        os.makedirs(tree)
        archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    return tree


def sh(argv, check=True, data=None, timeout=600):
    res = subprocess.run(argv, capture_output=True, text=True, input=data, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(argv), res.stdout[-2000:], res.stderr[-2000:]))
    return res


def lab(*args, check=True):
    return sh([PY, "-m", "tests.lab.azblab"] + list(args), check=check)


def p95(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]


def lab_host(inventory, app):
    """The appliance's entry in the inventory the lab wrote (address, key, its WANs)."""
    with open(inventory) as fh:
        return yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"][app]


def host_ssh(host, cmd, timeout):
    """``cmd``'s output on the appliance of inventory entry ``host`` (empty when it fails)."""
    return sh(["ssh", "-i", host["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "%s@%s" % (host["ansible_user"], host["ansible_host"]), cmd], check=False, timeout=timeout).stdout


def converge(inventory, app, name, roles, site_vars, timeout, collections=False):
    """Run ``roles`` on ``app`` with ``site_vars``; ``collections``: from the tree's build/collections
    unless the caller's environment names others."""
    varsfile = os.path.join(tempfile.gettempdir(), "azb-%s-bench-vars.json" % name)
    with open(varsfile, "w") as fh:
        json.dump(site_vars, fh)
    play = os.path.join(tempfile.gettempdir(), "azb-%s-bench-play.yml" % name)
    with open(play, "w") as fh:
        fh.write("- hosts: %s\n  become: true\n  gather_facts: true\n  roles: [%s]\n" % (app, ", ".join(roles)))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    if collections:
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build", "collections"))
    t = time.monotonic()
    res = subprocess.run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", inventory, "-e", "@" + varsfile,
                          play], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if res.returncode != 0:
        raise SystemExit("converge failed:\n" + res.stdout[-3000:])
    print("converged %s in %.0f s" % (app, time.monotonic() - t))


def molecule(scenario, step, *extra):
    """One Molecule step of ``scenario`` (its output is the scenario's business, not the table's)."""
    subprocess.run([os.path.join(REPO, ".venv", "bin", "molecule"), step, "-s", scenario]
                   + (["--"] + list(extra) if extra else []), cwd=REPO, check=True, stdout=subprocess.DEVNULL)
