"""The textfile collector reads the zones' nft counters as nft itself prints them (JSON of a ruleset the
real renderer produced, loaded into a scratch namespace): per policy and per zone pair."""
import copy
import importlib.util
import json
import os

from ansible_collections.azblink.nfv.plugins.module_utils.zones import model, render_nft
from tests.unit import nft_scratch
from tests.unit.plugins.module_utils.zones.test_model import GOOD

SCRIPT = os.path.join(os.path.dirname(__file__), "../../../roles/observability/files/azb-metrics.py")


def metrics_module():
    spec = importlib.util.spec_from_file_location("azb_metrics", os.path.abspath(SCRIPT))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def live_json(site):
    """`nft -j list table inet azblink` of the rendered ruleset, loaded by the real nft."""
    # nft_scratch skips, with the reason printed, where nft or a network namespace is not possible.
    return json.loads(nft_scratch.load(render_nft.render(site), "nft -j list table inet azblink"))


def set_counters(doc, packets_of):
    """Give elements / rules counters as traffic would: packets_of(kind, key) -> packets."""
    for item in doc["nftables"]:
        nft_set = item.get("set") or item.get("map")
        if nft_set:
            for entry in nft_set.get("elem", []):
                entry = entry[0] if isinstance(entry, list) else entry
                if not isinstance(entry, dict) or "counter" not in entry.get("elem", {}):
                    continue                           # a set without counters: plain values
                elem = entry["elem"]
                elem["counter"] = {"packets": packets_of("elem", json.dumps(elem["val"])), "bytes": 100}
        rule = item.get("rule")
        if rule and "comment" in rule:
            for expr in rule["expr"]:
                if "counter" in expr:
                    expr["counter"] = {"packets": packets_of("rule", rule["comment"]), "bytes": 100}
    return doc


def test_policy_and_zone_pair_counters_come_from_the_live_ruleset():
    doc = copy.deepcopy(GOOD)
    doc["policies"] = doc["policies"] + [
        {"name": "office-lab-ssh", "from": ["office"], "to": ["lab"], "proto": "tcp", "ports": ["22"],
         "action": "drop", "log": True},
        {"name": "lab-dmz-dns", "from": ["lab"], "to": ["dmz"], "proto": "udp", "ports": ["53"]}]
    site = model.build(doc)
    counts = {'"policy office-lab-ssh"': 7}

    def packets_of(kind, key):
        if kind == "rule":
            return counts.get('"%s"' % key, 0)
        if '"10.1.0.0"' in key and '"udp"' in key:
            return 3                                   # lab -> dmz udp/53, a plain (set) policy
        if '"br3"' in key and '"br1"' in key:
            return 11                                  # office -> lab through the default matrix
        return 0

    live = set_counters(live_json(site), packets_of)
    mod = metrics_module()
    mod.run = lambda argv: json.dumps(live) if "-j" in argv else "table inet azblink {}\n"
    out = mod.Families()
    cfg = {"zones": [{"name": z["name"], "interfaces": [z["bridge"]]} for z in doc["zones"]]}
    mod.ruleset(cfg, out)
    text = out.text()
    assert 'azb_policy_packets_total{policy="office-lab-ssh"} 7' in text
    assert 'azb_policy_packets_total{policy="lab-dmz-dns"} 3' in text
    assert 'azb_policy_packets_total{policy="web-db"} 0' in text
    assert 'azb_zone_pair_packets_total{from="office",to="lab"} 11' in text
    assert 'azb_zone_pair_packets_total{from="lab",to="office"}' not in text   # restricted: not in the matrix
    assert "# TYPE azb_policy_packets_total counter" in text and "azb_ruleset_info{sha256=" in text


def test_wan_health_and_chain_hop_state_from_the_services_state_files(tmp_path):
    wan = tmp_path / "wan.json"
    wan.write_text(json.dumps({"active": "wan2", "updated": 0, "transitions": [{}],
                               "wans": {"wan1": {"up": False, "fails": 3, "oks": 0},
                                        "wan2": {"up": True, "fails": 0, "oks": 9}}}))
    state, health = tmp_path / "chain.json", tmp_path / "health.json"
    state.write_text(json.dumps({"instances": {"ips1": {"up": True, "since": 0}, "ips2": {"up": False}}}))
    health.write_text(json.dumps({"instances": [{"name": "ips1", "chain": "web", "hop": "ips"}]}))
    mod = metrics_module()
    out = mod.Families()
    cfg = {"wan_state": str(wan), "chain_state": str(state), "chain_health": str(health)}
    mod.wans(cfg, out)
    mod.chains(cfg, out)
    text = out.text()
    assert 'azb_wan_up{wan="wan1"} 0' in text and 'azb_wan_active{wan="wan2"} 1' in text
    assert 'azb_wan_probe_failures{wan="wan1"} 3' in text and 'azb_wan_probe_successes{wan="wan2"} 9' in text
    assert 'azb_chain_instance_up{chain="web",hop="ips",instance="ips1"} 1' in text
    assert 'azb_chain_instance_up{chain="",hop="",instance="ips2"} 0' in text
    # a service that is not there (no file) leaves its family out rather than guessing
    out = mod.Families()
    mod.wans({"wan_state": str(tmp_path / "absent.json")}, out)
    assert "azb_wan" not in out.text()
