"""What the Molecule scenarios' tests share: the scenario's vars, its clients' namespaces, a command
run in a lab namespace with a time bound, and a bounded wait on a condition (never a fixed sleep as
proof). Scenario tests put the repository on sys.path and import this as ``tests.lab.scenario``."""
import os
import subprocess
import time

import yaml


def load_vars(tests_dir):
    """The scenario's vars.yml (next to its tests/ directory)."""
    with open(os.path.join(tests_dir, "..", "vars.yml")) as fh:
        return yaml.safe_load(fh)


def appliance_index(appliance):
    """'lab-a13' -> '13', as the lab names the appliance's namespaces."""
    return appliance.rsplit("a", 1)[1]


def client_namespaces(appliance, clients):
    """label -> namespace of each lab client of the appliance (the scenario's ``*_lab_clients``)."""
    return dict((c["label"], "azb-a%s-c-%s" % (appliance_index(appliance), c["label"])) for c in clients)


def in_ns(ns, argv, timeout=15, data=None):
    """``argv`` in network namespace ``ns``: the CompletedProcess (text), never raising on its status."""
    return subprocess.run(["ip", "netns", "exec", ns] + list(argv), capture_output=True, text=True, input=data,
                          timeout=timeout, check=False)


def wait_for(pred, seconds, step=0.2):
    """Poll ``pred`` until it gives something true or ``seconds`` pass; its value (one last look at
    the deadline, so a slow machine's late success still counts)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()
