"""VPN events and audit records on lab-a20, at the scenario's collector:

- a road warrior (mallory) connects with its exported OpenVPN bundle (vpn.connect), its certificate
  is revoked in inventory terms (azb_ca through the pki role, then the vpn role), and its next attempt
  is refused by the box and arrives as vpn.refused with the peer, the reason and its address;
- changes applied by azb_vpn, azb_wan_policy and azb_vm (not only azb_zone) arrive as audit.change
  records naming the module, what changed, the configuration and ruleset hashes and the controller user.
Runs last in the scenario (the revocation and the changes are not undone).
"""
import json
import os
import subprocess
import sys
import time

import pytest

import test_observability as obs
# the fixture that keeps the real collector up (used by name, so linters call it unused)
from test_reachability import collector_up  # noqa: F401 pylint: disable=unused-import

sys.path.insert(0, obs.REPO)
from tests.lab import roadwarrior  # noqa: E402 (the repository is on the path only from here)

EPH = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", os.path.join(EPH, "inventory"))
BUNDLE = os.path.join(EPH, "vpn-export", obs.APP, "mallory.ovpn")
RW_NS, RW_ADDR = obs.VARS["obs_rw_netns"], obs.VARS["obs_rw_address"]
RW_VETH = "rwa%s" % obs.IDX
SEEN = []   # ids of the events at the collector before this module's first test (they do not count)


def playbook(name, *extra):
    t0 = time.monotonic()
    res = subprocess.run([os.path.join(obs.REPO, ".venv/bin/ansible-playbook"), "-i", INVENTORY,
                          os.path.join(obs.SCENARIO, name)] + list(extra), capture_output=True, text=True, timeout=400,
                         cwd=obs.REPO, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    print("%s in %.1f s" % (name, time.monotonic() - t0))


def new_events(**want):
    """Events at the collector since this module started, matching WANT."""
    return obs.matching([e for _h, e in obs.syslog_events() if e["id"] not in SEEN[0]], **want)


@pytest.fixture(scope="module", autouse=True)
def seen(collector_up):  # noqa: F811
    SEEN.append(set(e["id"] for _h, e in obs.syslog_events()))


@pytest.fixture(scope="module")
def rw():
    roadwarrior.netns_up(RW_NS, RW_ADDR, RW_VETH)
    yield RW_NS
    roadwarrior.netns_down(RW_NS, RW_VETH)


def test_a_revoked_client_is_refused_and_both_arrive_structured(collector_up, rw):  # noqa: F811
    proc, log, ok = roadwarrior.openvpn_session(rw, BUNDLE)
    roadwarrior.stop(proc)
    assert ok, "mallory's valid bundle did not connect:\n" + open(log).read()[-2000:]
    assert obs.wait_for(lambda: new_events(event="vpn.connect", peer="mallory"), 20), "no vpn.connect event"
    connect = new_events(event="vpn.connect", peer="mallory")[0]
    print("vpn.connect:", json.dumps(connect))
    assert connect["remote"] == RW_ADDR and connect["source"] == "openvpn"

    playbook("revoke.yml")
    t0 = time.monotonic()
    proc, log, ok = roadwarrior.openvpn_session(rw, BUNDLE, wait=12)
    roadwarrior.stop(proc)
    assert not ok, "a revoked certificate was accepted"
    assert obs.wait_for(lambda: new_events(event="vpn.refused", peer="mallory"), 30), "no vpn.refused event"
    refused = new_events(event="vpn.refused", peer="mallory")[0]
    print("revoked client refused -> vpn.refused at the collector in %.1f s: %s"
          % (time.monotonic() - t0, json.dumps(refused)))
    assert refused["reason"] == "certificate revoked" and refused["remote"] == RW_ADDR
    assert refused["host"] == obs.APP and refused["source"] == "openvpn"


def audit_records(module):
    return [e["change"] for e in new_events(event="audit.change") if e["change"].get("module") == module]


def test_changes_of_every_module_arrive_as_audit_records(collector_up):  # noqa: F811
    # As AWX runs a job: the launching user in awx_user_name, no AZB_CONTROLLER_USER in the play.
    playbook("audit_change.yml", "-e", "awx_user_name=audit-alice")
    want = ("azb_vpn", "azb_wan_policy", "azb_vm")   # azb_vpn: the revocation above
    assert obs.wait_for(lambda: all(audit_records(m) for m in want), 30), \
        "no audit record from %s" % [m for m in want if not audit_records(m)]
    for module in want:
        rec = audit_records(module)[-1]
        print("audit.change %s: %s" % (module, json.dumps(rec)))
        assert rec["actions"] and all(isinstance(a, str) for a in rec["actions"])
        assert len(rec["config_sha256"]) == 64 and len(rec["ruleset_sha256"]) == 64
        assert rec["controller_user"] and rec["remote_user"] == "root" and rec["controller_address"] == "198.18.0.1"
    # The play set no environment: the modules' action named AWX's user. The revocation's play sets
    # AZB_CONTROLLER_USER itself, and a task's own environment wins.
    assert [audit_records(m)[-1]["controller_user"] for m in ("azb_wan_policy", "azb_vm")] == ["audit-alice"] * 2
    assert audit_records("azb_vpn")[-1]["controller_user"] != "audit-alice"
    vm = audit_records("azb_vm")
    assert [r["state"] for r in vm][-2:] == ["stopped", "absent"], vm
