"""rollout.yml learns every box's VPN keys before its batches: a canary's tunnels name peers of
later batches, and on a fresh estate those peers had no key yet ("peer 'X' has no WireGuard key
yet"). These tests read the playbook and the tasks it runs; they fail if the pre-play goes, moves
after the batches, converges more than the keys, or would drop an unreachable box from the rollout."""
import os

import yaml

from ansible_collections.azblink.nfv.plugins.filter.azb_site import azb_vpn_peer_hosts, azb_vpn_peered_tunnels
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as fh:
        return yaml.safe_load(fh)


def _keys_play():
    plays = _yaml("playbooks", "rollout.yml")
    batches = next(i for i, p in enumerate(plays) if "serial" in p)
    keys = [i for i, p in enumerate(plays) if any((t.get("ansible.builtin.include_role") or {}).get("tasks_from")
                                                  == "vpn_keys" for t in p.get("tasks") or [])]
    assert keys, "rollout.yml has no play that learns the VPN keys"
    assert keys[0] < batches, "the keys are learned after the batches started"
    return plays[keys[0]], plays[batches]


def test_the_keys_play_runs_on_every_target_before_the_batches():
    keys, batches = _keys_play()
    assert keys["hosts"] == batches["hosts"]
    assert "serial" not in keys, "every box, not a batch"
    # An unreachable box must stay in the rollout: its own batch sees it and stops there.
    assert keys["ignore_unreachable"] is True
    # Not reported: the report is the batches' (changed/failed/... per box).
    assert "azb_fleet_report" not in (keys.get("vars") or {})
    include = keys["tasks"][0]
    assert include["ansible.builtin.include_role"]["name"] == "azblink.nfv.fleet"
    assert include["when"].split() == (
        "azb_vpn_tunnels | default([]) | azblink.nfv.azb_vpn_peered_tunnels(inventory_hostname) | length > 0 "
        "and 'vpn' in azb_site_roles | default(['vpn'])").split(), \
        "skipped (no connection) where no vpn role runs or no tunnel needs a peer's key"


def test_only_wireguard_tunnels_with_other_boxes_as_peers_need_the_keys_first():
    wg = _tunnel()[0]
    road_warrior = {"name": "rw", "type": "wireguard", "network": "10.98.0.0/24",
                    "peers": [{"name": "canary", "address": "10.98.0.1"}], "clients": [{"name": "alice"}]}
    ovpn = dict(wg, name="ovpn", type="openvpn")
    untyped = {k: v for k, v in wg.items() if k != "type"}  # WireGuard is the default type
    assert azb_vpn_peered_tunnels([wg, road_warrior, ovpn, untyped], "canary") == [wg, untyped]
    assert azb_vpn_peered_tunnels(None, "canary") == []


def test_the_keys_tasks_touch_nothing_but_the_keys():
    tasks = _yaml("roles", "fleet", "tasks", "vpn_keys.yml")
    vpn = [t["azblink.nfv.azb_vpn"] for t in tasks if "azblink.nfv.azb_vpn" in t]
    assert [v["state"] for v in vpn] == ["keys"]
    modules = sorted(k for t in tasks for k in t if "." in k)
    # one task: the key tools are the call's prerequisites (installed first where missing)
    assert modules == ["azblink.nfv.azb_vpn"]
    assert vpn[0]["prerequisites"] == {"packages": "{{ azb_fleet_vpn_key_tools }}"}
    # The vpn role hands its peers the fact the keys task sets (azb_vpn_peer_hosts reads it).
    with open(os.path.join(ROOT, "roles", "vpn", "tasks", "main.yml")) as fh:
        assert "azblink.nfv.azb_vpn_peer_hosts(inventory_hostname, hostvars, ansible_play_hosts)" in fh.read()
    assert azb_vpn_peer_hosts(_tunnel(), "canary", {"later": {"ansible_facts": {"azb_vpn_public_keys": {"wgs2s": "k"}}}},
                              ["canary", "later"])["later"]["public_keys"] == {"wgs2s": "k"}


def _tunnel():
    return [{"name": "wgs2s", "type": "wireguard", "network": "10.99.0.0/24", "port": 51820,
             "peers": [{"name": "canary", "address": "10.99.0.1", "endpoint": "192.0.2.58"},
                       {"name": "later", "address": "10.99.0.2", "endpoint": "192.0.2.66"}]}]


ZONES = [{"name": "office", "bridge": "br3", "role": "trusted", "address": "10.13.0.1/24"}]
KEY = "q3W2t5TG9xZjN7a0kDMYdDsaP0dKnnxUzuTgY3cZ3nM="


def test_a_canary_needs_the_keys_of_peers_in_later_batches():
    """What the pre-play fixes, at the model: the canary's tunnel fails while its peer in a later
    batch has no key in the play, and validates once the peer's keys are known."""
    ctx = {"host": "canary", "zones": ZONES, "revoked": set(), "check_mode": False}
    unknown = dict(ctx, play_hosts={"canary": {"public_keys": {}, "zones": ZONES},
                                    "later": {"public_keys": {}, "zones": ZONES}})
    try:
        model.validate({"tunnels": _tunnel()}, unknown)
        raise AssertionError("a peer without a key was accepted")
    except SpecError as exc:
        assert "peer 'later' has no WireGuard key yet" in str(exc)
    known = dict(ctx, play_hosts={"canary": {"public_keys": {}, "zones": ZONES},
                                  "later": {"public_keys": {"wgs2s": KEY}, "zones": ZONES}})
    assert [p.public_key for t in model.validate({"tunnels": _tunnel()}, known) for p in t.peers] == [KEY]
