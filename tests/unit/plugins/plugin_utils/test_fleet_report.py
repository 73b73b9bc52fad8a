"""The fleet report model: statuses per box across batches, drift diffs, no secrets."""
from ansible_collections.azblink.nfv.plugins.plugin_utils.fleet_report import FleetReport, diff_text, markdown

ZONE = {"task": "Converge zones", "role": "zones", "action": "azblink.nfv.azb_zone"}
GATE = {"task": "Pass the health gate", "role": "fleet", "action": "azblink.nfv.azb_fleet_gate"}
STOP = {"task": "Stop the rollout", "role": None, "action": "ansible.builtin.fail"}
ALL = ["a1", "a2", "a3", "a4", "a5"]


def test_a_rollout_stopped_in_its_second_batch():
    rep = FleetReport("rollout.yml", check_mode=False)
    rep.target(["a1"], ALL)
    rep.ok("a1", ZONE, changed=True, diff={"before": "x\n", "after": "y\n"})
    rep.target(["a2", "a3"], ALL)
    rep.ok("a2", ZONE, changed=True)
    rep.ok("a3", ZONE, changed=True)
    rep.failed("a3", GATE, "a3 failed its health gate: no egress through the WAN")
    rep.failed("a2", STOP, "Rollout stopped after this batch", stop=True)
    d = rep.as_dict()
    assert d["summary"] == {"changed": ["a1"], "failed": ["a3"], "never_reached": ["a4", "a5"], "stopped": ["a2"]}
    assert d["hosts"]["a3"]["messages"] == ["Pass the health gate: a3 failed its health gate: no egress through the WAN"]
    assert d["hosts"]["a2"]["batch"] == 2 and d["hosts"]["a4"]["batch"] is None
    assert d["batches"] == [["a1"], ["a2", "a3"]]


def test_an_unreachable_box_is_neither_failed_nor_never_reached():
    rep = FleetReport("rollout.yml", check_mode=False)
    rep.target(["a1", "a2"], ["a1", "a2"])
    rep.unreachable("a2", ZONE, "ssh: connect to host: No route to host")
    rep.ok("a1", ZONE, changed=False)
    assert rep.as_dict()["summary"] == {"unchanged": ["a1"], "unreachable": ["a2"]}


def test_drift_lists_each_change_with_its_diff_and_hides_no_log_ones():
    rep = FleetReport("drift.yml", check_mode=True)
    rep.target(["a1", "a2"], ["a1", "a2"])
    rep.ok("a1", ZONE, changed=True, diff=[{"before_header": "nft ruleset (live)", "after_header": "nft ruleset (desired)",
                                            "before": "accept\nby-hand\n", "after": "accept\n"}])
    rep.ok("a1", {"task": "Keys", "role": "vpn", "action": "azblink.nfv.azb_vpn"}, changed=True,
           diff={"before": "secret-key-1", "after": "secret-key-2"}, no_log=True)
    rep.ok("a2", ZONE, changed=False)
    d = rep.as_dict()
    assert d["summary"] == {"drifted": ["a1"], "in_sync": ["a2"]}
    zone, keys = d["hosts"]["a1"]["changes"]
    assert "-by-hand" in zone["diff"] and "+++ nft ruleset (desired)" in zone["diff"]
    md = markdown(d)
    assert "secret-key" not in md and "hidden" in md
    assert "| a1 | 1 | drifted | 2 |" in md and "# Drift report" in md


def test_diff_text_reads_prepared_and_structured_diffs():
    assert diff_text({"prepared": "+ line"}) == "+ line"
    assert diff_text({"before": "same", "after": "same"}) == ""
    assert '-  "a": 1' in diff_text({"before": {"a": 1}, "after": {"a": 2}})
