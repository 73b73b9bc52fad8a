"""The routing model refuses bad input with the field path, before anything on the box changes."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.routing import model
from tests.unit import docpath
from tests.unit.plugins.module_utils.routing.conftest import GOOD
from tests.unit.refusal import assert_refused

D = docpath.DELETE

# (dotted path in GOOD, new value, field path named by the error, words of the reason)
BAD = [
    ("ospf.interfaces.0.zone", "nosuch", "ospf.interfaces[0].zone", "unknown zone"),
    ("ospf.interfaces.3.tunnel", "nosuch", "ospf.interfaces[3].tunnel", "unknown tunnel"),
    ("ospf.interfaces.1.link", "nosuch", "ospf.interfaces[1].link", "unknown link"),
    ("ospf.interfaces.2", {"link": "to-c", "zone": "office"}, "ospf.interfaces[2]", "exactly one"),
    ("ospf.interfaces.2", {"cost": 5}, "ospf.interfaces[2]", "exactly one"),
    ("ospf.interfaces.2", {"zone": "office"}, "ospf.interfaces[2]", "already in OSPF"),
    ("router_id", "10.255.0.300", "router_id", "not a valid IP"),
    ("router_id", "2001:db8::1", "router_id", "not an IPv4"),
    ("other_router_ids", {"lab-a18": "10.255.0.17"}, "router_id", "also used by lab-a18"),
    ("static_routes.1", {"prefix": "10.99.128.0/17", "via": "198.19.17.74"}, "static_routes[1].prefix",
     "overlaps static_routes[0]"),
    ("static_routes.0", {"prefix": "10.99.0.0/16"}, "static_routes[0]", "via, interface, or blackhole"),
    ("static_routes.0", {"prefix": "10.99.0.0/16", "blackhole": True, "via": "1.2.3.4"},
     "static_routes[0].blackhole", "no via"),
    ("static_routes.1.via", "198.19.17", "static_routes[1].via", "not a valid IP"),
    ("static_routes.1.table", 254, "static_routes[1].table", "out of range"),
    ("static_routes.1.prefix", "10.98.0.0/33", "static_routes[1].prefix", "not a valid"),
    # The bulk lists are checked by the model against their element spec, not by AnsibleModule.
    ("static_routes.1.metric", 5, "static_routes[1].metric", "unknown field"),
    ("static_routes.1.blackhole", "maybe", "static_routes[1].blackhole", "not a boolean"),
    ("static_routes.1.distance", "near", "static_routes[1].distance", "not a number"),
    ("static_routes.1", {"via": "198.19.17.74"}, "static_routes[1].prefix", "is required"),
    ("static_routes.1", "10.0.0.0/8", "static_routes[1]", "must be a dictionary"),
    ("prefix_lists.0.entries.0.action", "allow", "prefix_lists[0].entries[0].action", "not one of permit, deny"),
    ("ospf.areas.0.id", "1.2.3", "ospf.areas[0].id", "not an OSPF area"),
    ("ospf.areas.0", {"id": "0", "type": "stub"}, "ospf.areas[0].type", "backbone"),
    ("ospf.interfaces.3.area", "7", "ospf.interfaces[3].area", "not declared"),
    ("ospf.interfaces.1.dead_interval", 1, "ospf.interfaces[1].dead_interval", "must exceed"),
    ("ospf.interfaces.2.cost", 70000, "ospf.interfaces[2].cost", "out of range"),
    ("ospf.interfaces.1.authentication.key", "a-key-longer-than-16", "ospf.interfaces[1].authentication.key",
     "1-16 characters"),
    ("ospf.interfaces.1.bfd_profile", "slow", "ospf.interfaces[1].bfd_profile", "unknown BFD profile"),
    ("ospf.interfaces.0.bfd", True, "ospf.interfaces[0].bfd", "passive"),
    ("bfd.peers.0.interface", {"zone": "media"}, "bfd.peers[0].interface", "without OSPF"),
    ("bfd.profiles.0.receive_interval", 5, "bfd.profiles[0].receive_interval", "out of range"),
    ("pim.rp", [], "pim.rp", "rendezvous point"),
    ("pim.rp.0.groups", "10.0.0.0/8", "pim.rp[0].groups", "not a multicast range"),
    ("pim.igmp.0.zone", "nosuch", "pim.igmp[0].zone", "unknown zone"),
    ("pim.ssm_prefix_list", "nosuch", "pim.ssm_prefix_list", "unknown prefix-list"),
    ("rip.distribute_lists.0.prefix_list", "nosuch", "rip.distribute_lists[0].prefix_list", "unknown prefix-list"),
    ("rip.redistribute.0.source", "rip", "rip.redistribute[0].source", "into itself"),
    ("rip.redistribute.1.zones.0", "nosuch", "rip.redistribute[1].zones[0]", "unknown zone"),
    ("rip.interfaces.0.authentication.key", "has space", "rip.interfaces[0].authentication.key", "without spaces"),
    ("rip", {"interfaces": [], "networks": []}, "rip", "networks or interfaces"),
    ("prefix_lists.0.entries.0.le", 8, "prefix_lists[0].entries[0].le", "out of range"),
    ("prefix_lists.0.entries", [], "prefix_lists[0].entries", "at least one"),
    ("links.1.interface", "lk-a18", "links[1].interface", "already used"),
    ("links.0.address", "198.19.17.73", "links[0].address", "/8../31"),
    ("links.0.name", "To-B", "links[0].name", "not a valid name"),
    ("ospf.spf_throttle.initial_hold", 9000, "ospf.spf_throttle.initial_hold", "exceeds max_hold"),
]


@pytest.mark.parametrize("where,value,path,reason", BAD, ids=[b[2] + ":" + b[3] for b in BAD])
def test_bad_input_is_refused_with_its_field_path(where, value, path, reason):
    doc = docpath.changed(GOOD, where, value)
    assert_refused(lambda: model.build(doc), path, reason)


def test_at_least_twenty_bad_inputs_are_tabled():
    assert len(BAD) >= 20


def test_good_input_builds_and_resolves_interfaces(good):
    site = model.build(good)
    ifaces = [i["ifname"] for i in site["ospf"]["interfaces"]]
    assert ifaces == ["br3", "lk-a18", "lk-a19", "wg0"]
    office = site["ospf"]["interfaces"][0]
    assert office["passive"] is True and office["network"] is None  # zones: passive, broadcast
    assert site["ospf"]["interfaces"][1]["passive"] is False
    assert site["ospf"]["interfaces"][1]["network"] == "point-to-point"
    assert site["ospf"]["interfaces"][3]["area"] == "0.0.0.1"
    assert site["ospf"]["areas"] == {"0.0.0.0": "normal", "0.0.0.1": "stub"}
    assert str(site["ospf"]["router_id"]) == "10.255.0.17"


def test_ospf_router_id_overrides_the_global_one(good):
    good["ospf"]["router_id"] = "10.255.1.1"
    assert str(model.build(good)["ospf"]["router_id"]) == "10.255.1.1"


def test_ospf_without_any_router_id_is_refused(good):
    del good["router_id"]
    with pytest.raises(ValidationError) as err:
        model.build(good)
    assert err.value.path == "ospf.router_id"


def test_static_routes_in_different_tables_may_overlap(good):
    good["static_routes"].append({"prefix": "10.99.1.0/24", "via": "198.19.17.74", "table": 100})
    assert len(model.build(good)["static"]) == 3


def test_daemons_follow_the_protocols(good):
    assert model.daemons(model.build(good)) == {"staticd", "ospfd", "ripd", "pimd", "bfdd"}
    only_static = {"static_routes": good["static_routes"]}
    assert model.daemons(model.build(only_static)) == {"staticd"}
