"""The zones firewall opens exactly the routing protocols where azb_routing runs them."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied
from ansible_collections.azblink.nfv.plugins.module_utils.routing import inputs
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model as zones_model
from tests.unit.plugins.module_utils.routing.conftest import GOOD


def routing():
    r = copy.deepcopy(GOOD)
    zones = r.pop("zones")
    return r, zones


def test_each_protocol_opens_on_its_active_interfaces_only():
    r, zones = routing()
    got = dict((i["name"], i) for i in inputs.for_intent(r, zones))
    # OSPF: the links and the tunnel; the office zone is passive (no neighbour expected there).
    assert got["routing-ospf"] == {"name": "routing-ospf", "from": ["lk-a18", "lk-a19", "wg0"], "proto": "ospf"}
    # RIP: the legacy link; the office zone is passive.
    assert got["routing-rip"] == {"name": "routing-rip", "from": ["lk-legacy"], "proto": "udp", "ports": ["520"]}
    assert got["routing-pim"]["from"] == ["lk-a18", "br3"] and got["routing-pim"]["proto"] == "pim"
    assert got["routing-igmp"]["from"] == ["br3", "lk-a18"] and got["routing-igmp"]["proto"] == "igmp"
    assert got["routing-bfd"] == {"name": "routing-bfd", "from": ["lk-a18"], "proto": "udp",
                                  "ports": ["3784", "3785"]}
    assert sorted(got) == ["routing-bfd", "routing-igmp", "routing-ospf", "routing-pim", "routing-rip"]


def test_nothing_opens_without_routing_or_for_passive_only_protocols():
    assert inputs.for_intent(None, []) == []
    r, zones = routing()
    only_passive = {"router_id": "10.0.0.1", "ospf": {"interfaces": [{"zone": "office"}]}}
    assert inputs.for_intent(only_passive, zones) == []
    assert r  # the full intent above does open


def test_bad_routing_input_names_its_azb_routing_path():
    r, zones = routing()
    r["ospf"]["interfaces"][0]["zone"] = "nosuch"
    with pytest.raises(ValidationError) as err:
        inputs.for_intent(r, zones)
    assert err.value.path == "azb_routing.ospf.interfaces[0].zone"


def test_the_registry_adds_them_and_the_zones_model_accepts_them():
    r, zones = routing()
    zones = [dict(z, role="trusted") for z in zones] + [
        {"name": "uplink", "role": "wan", "bridge": "br0", "address": ["192.0.2.10/29"]}]
    box = {"azb_zones": zones, "azb_routing": r}
    got = implied.box_inputs(implied.BoxView("lab-a17", box, {}))
    assert [i["name"] for i in got] == ["routing-ospf", "routing-rip", "routing-pim", "routing-igmp", "routing-bfd"]
    site = zones_model.build({"zones": zones, "management_sources": ["198.18.0.1/32"], "inputs": got})
    assert len(site.inputs) == 5
