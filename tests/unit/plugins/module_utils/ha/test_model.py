"""azb_ha's model rejects bad input with the field path, before anything touches the box."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.ha import model

from tests.unit.docpath import DELETE

from tests.unit.refusal import assert_refused
from .conftest import mutate

BAD = [
    ("a pair with one node", "pair", ["lab-a23"], "pair", "exactly two"),
    ("a pair of three", "pair", ["lab-a23", "lab-a24", "lab-a25"], "pair", "exactly two"),
    ("a node paired with itself", "pair", ["lab-a23", "lab-a23"], "pair[1]", "same appliance"),
    ("node outside the pair", "node", "lab-a9", "node", "not one of the pair"),
    ("equal priorities", "priorities", {"lab-a23": 100, "lab-a24": 100}, "priorities", "both nodes"),
    ("priority 255 (owner)", "priorities", {"lab-a23": 255}, "priorities.lab-a23", "out of range"),
    ("priority of a stranger", "priorities", {"lab-a9": 120}, "priorities.lab-a9", "not one of the pair"),
    ("preempt delay without preempt", "preempt_delay_s", 30, "preempt_delay_s", "only means"),
    ("advert not in centiseconds", "advert_ms", 255, "advert_ms", "centiseconds"),
    ("advert too fast", "advert_ms", 5, "advert_ms", "out of range"),
    ("no shared address", "vips", [], "vips", "at least one"),
    ("unknown zone", "vips.0.zone", "sales", "vips[0].zone", "unknown zone"),
    ("overlapping VRRP ids", "vips.1.vrid", 51, "vips[1]", "duplicate VRRP id"),
    ("VRRP id 0", "vips.0.vrid", 0, "vips[0].vrid", "out of range"),
    ("VRRP id 256", "vips.0.vrid", 256, "vips[0].vrid", "out of range"),
    ("shared address outside the zone", "vips.0.address", "10.4.0.1/24", "vips[0].address", "none of zone office"),
    ("shared address is a node's own", "vips.0.address", "10.3.0.3/24", "vips[0].address", "own address"),
    ("shared address without prefix", "vips.0.address", "10.3.0.300/24", "vips[0].address", "not an address"),
    ("two addresses for one zone", "vips.1", {"zone": "office", "vrid": 53, "address": "10.3.0.5/24"}, "vips[1]",
     "duplicate zone"),
    ("SNAT on an inside zone", "vips.0.snat", True, "vips[0].snat", "only a wan zone"),
    ("sync zone unknown", "sync.zone", "dmz", "sync.zone", "unknown zone"),
    ("sync port privileged", "sync.port", 80, "sync.port", "out of range"),
    ("sync without address on the peer", "peer_zones.1.address", [], "sync.zone", "on the peer"),
    ("both nodes with one address", "peer_zones.1.address", ["10.3.0.2/24"], "sync.zone", "each needs its own"),
    ("zone missing on the peer", "peer_zones", [{"name": "office", "bridge": "br3", "address": ["10.3.0.3/24"]}],
     "vips[1].zone", "not declared on the peer"),
    ("WAN check through an inside zone", "wan_check.zone", "office", "wan_check.zone", "not a wan zone"),
    ("WAN check into a zone", "wan_check.targets", ["10.3.0.9"], "wan_check.targets[0]", "inside a zone"),
    ("WAN check without targets", "wan_check.targets", [], "wan_check.targets", "at least one"),
    ("watchdog on a path", "watchdog_units", ["/etc/passwd"], "watchdog_units[0]", "not a systemd service"),
    ("no sync", "sync", DELETE, "sync.zone", "required"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_field_path(what, path, value, field, words):
    assert_refused(lambda: model.build(mutate(path, value)), field, words)


def test_both_nodes_build_from_the_same_inventory(good):
    a = model.build(good)
    good.update(node="lab-a24", zones=good["peer_zones"], peer_zones=good["zones"])
    b = model.build(good)
    assert (a.priority, b.priority) == (150, 100)
    assert (a.peer, b.peer) == ("lab-a24", "lab-a23")
    assert (str(a.sync.local), str(a.sync.peer)) == (str(b.sync.peer), str(b.sync.local))
    assert [v.vrid for v in a.vips] == [v.vrid for v in b.vips] == [51, 52]
    assert a.vips[0].interface == "br3" and a.vips[1].interface == "ls-hawan"
    assert [str(n) for n in a.vips[1].snat_sources] == ["10.3.0.0/24"]
    assert not a.preempt
