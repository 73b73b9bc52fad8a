"""Running the fleet playbooks from the tests as an operator would (ansible-playbook on the lab's
inventory plus inventories/fleet-lab), and reading the reports they write."""
import json
import os
import subprocess
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", os.path.join(REPO, ".lab"))
LAB_INVENTORY = os.path.join(EPHEMERAL, "lab-inventory.yml")
FLEET_INVENTORY = os.path.join(REPO, "inventories", "fleet-lab")
BOXES = ["lab-a25", "lab-a26", "lab-a27", "lab-a28", "lab-a29", "lab-a30"]


def lab_hosts():
    with open(LAB_INVENTORY) as fh:
        return yaml.safe_load(fh)["all"]["children"]["azb_lab"]["hosts"]


def env_for(report_dir):
    env = dict(os.environ)
    env["AZB_REPORT_DIR"] = report_dir
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, "build", "collections")
    # Plain output to search in (Molecule forces colour: its codes split the lines the tests read).
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def playbook(name, report_dir, *args, timeout=900):
    """Run azblink.nfv.<name> (or a playbook file of the scenario: NAME.yml) on the fleet; returns
    (rc, output, seconds)."""
    target = os.path.join(HERE, "..", name) if name.endswith(".yml") else "azblink.nfv." + name
    argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", LAB_INVENTORY, "-i", FLEET_INVENTORY,
            target] + list(args)
    t0 = time.time()
    res = subprocess.run(argv, cwd=REPO, env=env_for(report_dir), capture_output=True, text=True,
                         timeout=timeout, check=False)
    secs = time.time() - t0
    out = res.stdout + res.stderr
    with open(os.path.join(report_dir, name + ".log"), "a") as fh:
        fh.write(out)
    line = "%s %s: rc=%d in %.1f s" % (name, " ".join(args), res.returncode, secs)
    print(line)
    # Molecule's verifier keeps no test output: the figures go to a file beside the reports too.
    with open(os.path.join(report_dir, "figures.txt"), "a") as fh:
        fh.write(line + "\n")
    return res.returncode, out, secs


def report(report_dir, name):
    with open(os.path.join(report_dir, name + ".json")) as fh:
        return json.load(fh)


def ssh(box, command, timeout=30):
    h = lab_hosts()[box]
    argv = ["ssh", "-i", h["ansible_ssh_private_key_file"], "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
            "%s@%s" % (h["ansible_user"], h["ansible_host"]), command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def lab(*args):
    return subprocess.run([os.path.join(REPO, ".venv", "bin", "python"), "-m", "tests.lab.azblab",
                           "--inventory", LAB_INVENTORY] + list(args),
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
