"""The ip rules an adapter owns are those of its preference range; chain's batch goes on past a
failing line, wan's stops."""
import json

from ansible_collections.azblink.nfv.plugins.module_utils.chain.adapter import Adapter as ChainAdapter
from ansible_collections.azblink.nfv.plugins.module_utils.wan.adapter import Adapter as WanAdapter

RULES = [{"priority": 0, "src": "all", "table": "local"},
         {"priority": 950, "src": "all", "fwmark": "0x10000", "fwmask": "0xffff0000", "table": "201"},
         {"priority": 1001, "src": "all", "fwmark": "0x1", "fwmask": "0xff", "table": "101"},
         {"priority": 32766, "src": "all", "table": "main"}]


def _run(calls):
    def run(argv, data=None):
        calls.append((argv, data))
        return 0, json.dumps(RULES), ""
    return run


def test_each_adapter_sees_only_the_rules_of_its_preference_range():
    assert WanAdapter(_run([])).rules() == ["1001 fwmark 0x1/0xff lookup 101"]
    assert ChainAdapter(_run([])).rules() == ["950 fwmark 0x10000/0xffff0000 lookup 201"]


def test_chains_batch_is_forced_wans_is_not_and_an_empty_one_runs_nothing():
    calls = []
    ChainAdapter(_run(calls)).batch(["rule add 950 fwmark 0x10000/0xffff0000 table 201"])
    WanAdapter(_run(calls)).batch(["route replace default via 192.0.2.25 table 101"])
    WanAdapter(_run(calls)).batch([])
    assert [c[0] for c in calls] == [["ip", "-force", "-batch", "-"], ["ip", "-batch", "-"]]
    assert calls[1][1] == "route replace default via 192.0.2.25 table 101\n"
