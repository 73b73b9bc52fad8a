"""Reachability diff of azb_zone on lab-a20: for a change that removes one policy and adds another,
--check --diff names exactly the zone flows that open and close (probed in scratch namespaces
with the live and the desired ruleset), and real traffic between the lab clients agrees before and
after the change is applied. The original policies are restored at the end.
"""
import datetime
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(SCENARIO, "../../..")))
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", os.path.join(EPHEMERAL, "inventory"))
with open(os.path.join(SCENARIO, "vars.yml")) as fh:
    VARS = yaml.safe_load(fh)
IDX = VARS["obs_lab_appliance"].rsplit("a", 1)[1]
NS = dict((c["label"], "azb-a%s-c-%s" % (IDX, c["label"])) for c in VARS["obs_lab_clients"])
C1 = VARS["obs_lab_clients"][0]["address"].split("/")[0]
RESULT = os.path.join(EPHEMERAL, "reach-result.json")
APPLIED = []   # when the first test applied its change (wall clock, shared with the box: same kernel)


def change(*extra, original=False):
    t0 = time.monotonic()
    argv = [os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", INVENTORY,
            os.path.join(SCENARIO, "reach_change.yml"), "-e", "obs_result_file=" + RESULT]
    argv += ["-e", "obs_change=original"] if original else []
    res = subprocess.run(argv + list(extra), capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    assert res.returncode == 0, res.stdout[-3000:]
    with open(RESULT) as fh:
        out = json.load(fh)
    what = " ".join(extra) or ("restore" if original else "apply")
    print("reach_change.yml %s in %.1f s" % (what, time.monotonic() - t0))
    return out, res.stdout


def connects(port):
    """A new TCP connection from c3 (office) to c1 (lab) on PORT, with a listener there."""
    serve = ("import socket,time\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
             "s.bind(('%s',%d)); s.listen(4); time.sleep(8)\n" % (C1, port))
    listener = subprocess.Popen(["ip", "netns", "exec", NS["c1"], sys.executable, "-c", serve])
    try:
        time.sleep(0.5)
        code = ("import socket,sys\ns=socket.socket(); s.settimeout(2)\ntry:\n s.connect(('%s',%d))\n"
                "except OSError: sys.exit(1)\n" % (C1, port))
        return subprocess.run(["ip", "netns", "exec", NS["c3"], sys.executable, "-c", code], timeout=10,
                              check=False).returncode == 0
    finally:
        listener.kill()
        listener.wait()


@pytest.fixture(scope="module")
def restore():
    yield
    change(original=True)


@pytest.fixture(scope="module")
def collector_up():
    """The real collector (test_observability's own is gone with its module); stopped by PID after."""
    env = dict(os.environ, OBS_NETNS=VARS["obs_collector_netns"], OBS_ADDRESS=VARS["obs_collector_address"])
    script = os.path.join(SCENARIO, "collector.sh")
    pki = os.path.join(EPHEMERAL, "pki")
    subprocess.run([script, "stop", "siem"], env=env, check=True, timeout=60)
    subprocess.run([script, "start", "siem", pki + "/ca.crt", pki + "/certs/siem.crt", pki + "/private/siem.key",
                    VARS["azb_observability_collectors"][0]["protocol"]], env=env, check=True, timeout=60)
    yield
    subprocess.run([script, "stop", "siem"], env=env, check=True, timeout=60)


def test_check_diff_names_the_flows_that_open_and_close(restore):
    before = {22: connects(22), 80: connects(80)}
    assert before == {22: False, 80: True}, "unexpected starting point: %s" % before
    result, out = change("--check", "--diff")
    reach = result["reachability"]
    print("reachability:", json.dumps({k: reach[k] for k in ("opened", "closed", "ports", "probes")}))
    assert reach["opened"] == ["office -> lab tcp/22"]
    assert reach["closed"] == ["office -> lab tcp/80"]
    assert "+allowed office -> lab tcp/22" in out and "-allowed office -> lab tcp/80" in out
    # Check mode changed nothing: the traffic is as before.
    assert {22: connects(22), 80: connects(80)} == before
    # Applied, real traffic agrees with the diff.
    APPLIED.append(time.time())
    result = change()[0]
    assert result["changed"]
    assert {22: connects(22), 80: connects(80)} == {22: True, 80: False}


def test_the_applied_change_arrives_as_an_audit_record(collector_up):
    """The change above was applied by azb_zone: its audit record reaches the collector."""
    def records():
        out = []
        path = "/run/%s/siem-events.log" % VARS["obs_collector_netns"]
        with open(path) as fh:
            for line in fh:
                if " audit.change - " in line:
                    out.append(json.loads(line.split(" audit.change - ", 1)[1]))
        # Only records of changes made since this module applied its own (earlier ones do not count).
        since = APPLIED[0] if APPLIED else time.time()
        return [r for r in out if r["change"].get("module") == "azb_zone"
                and datetime.datetime.fromisoformat(r["time"]).timestamp() >= since - 1]

    deadline = time.monotonic() + 30
    while not records() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert records(), "no audit record at the collector"
    change_rec = records()[-1]["change"]
    print("audit record:", json.dumps(change_rec))
    assert change_rec["module"] == "azb_zone" and change_rec["actions"]
    assert len(change_rec["ruleset_sha256"]) == 64
    assert change_rec["remote_user"] == "root" and change_rec["controller_address"] == "198.18.0.1"
    assert change_rec["controller_user"], "the play set AZB_CONTROLLER_USER"
