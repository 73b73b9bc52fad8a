"""OSPF over a WireGuard tunnel: what the routing role's intent implies for the vpn role and the
firewall, and the tunnels OSPF cannot run over, refused with the field path (all on the controller)."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import model as vpn_model
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import render as vpn_render

from tests.unit import docpath

KB = "q3W2t5TG9xZjN7a0kDMYdDsaP0dKnnxUzuTgY3cZ3nM="
ZONES_A = [{"name": "uplink", "role": "wan", "interfaces": ["wan1"], "address": "192.0.2.138/29"},
           {"name": "office", "role": "trusted", "bridge": "br3", "address": "10.17.3.1/24"},
           {"name": "transit", "role": "trusted", "interfaces": ["lk-a18"], "networks": ["10.18.0.0/16"]}]
ZONES_C = [{"name": "office", "role": "trusted", "bridge": "br3", "address": "10.19.3.1/24"}]
TUNNELS = [
    {"name": "ac", "network": "10.99.17.0/30", "zone": "transit",
     "peers": [{"name": "a", "address": "10.99.17.1", "endpoint": "192.0.2.138:51820"},
               {"name": "c", "address": "10.99.17.2", "endpoint": "192.0.2.154:51820"}]},
    {"name": "hub", "network": "10.98.0.0/24", "port": 51821, "zone": "transit",
     "peers": [{"name": "a", "address": "10.98.0.1"}, {"name": "c", "address": "10.98.0.2"},
               {"name": "d", "address": "10.98.0.3", "public_key": KB, "networks": ["10.40.0.0/16"]}]},
]
ROUTING = {"router_id": "10.255.0.17",
           "links": [{"name": "to-b", "interface": "lk-a18", "address": "198.19.17.73/30"}],
           "ospf": {"interfaces": [{"zone": "office"}, {"link": "to-b"},
                                   {"tunnel": "ac", "cost": 100, "hello_interval": 1, "dead_interval": 4}]}}
BOX = {"azb_zones": ZONES_A, "azb_vpn_tunnels": TUNNELS, "azb_routing": ROUTING}


def view(box=None):
    return implied.BoxView("a", box or BOX, {"c": ZONES_C})


def test_the_routing_role_names_the_boxs_vpn_tunnels_without_declaring_them():
    assert implied.routing_tunnels(view()) == [{"name": "ac", "interface": "ac"}, {"name": "hub", "interface": "hub"}]
    declared = docpath.changed(BOX, "azb_routing.tunnels", [{"name": "ac", "interface": "wg-hq"}])
    assert implied.routing_tunnels(view(declared))[0] == {"name": "ac", "interface": "wg-hq"}  # declared wins


def test_a_tunnel_ospf_runs_over_gets_routing_ospf_and_the_firewall_admits_ospf_on_it():
    wired = implied.vpn_tunnels(view())
    assert wired[0]["routing"] == "ospf" and "routing" not in wired[1]
    assert TUNNELS[0].get("routing") is None  # the inventory's list is left as it was
    ospf = [i for i in implied.box_inputs(view()) if i["name"] == "routing-ospf"][0]
    assert ospf["from"] == ["lk-a18", "ac"]
    passive = docpath.changed(BOX, "azb_routing.ospf.interfaces.2.passive", True)
    assert "routing" not in implied.vpn_tunnels(view(passive))[0]  # no hello, nothing to carry


BAD = [
    ("azb_vpn_tunnels[1].peers", "azb_routing.ospf.interfaces.2.tunnel", "hub", "exactly two peers"),
    ("azb_vpn_tunnels[0].clients", "azb_vpn_tunnels.0.clients", [{"name": "phone", "address": "10.99.17.3"}],
     "no road-warrior clients"),
    ("azb_routing.ospf.interfaces[2].network", "azb_routing.ospf.interfaces.2.network", "broadcast",
     "point-to-point"),
    ("azb_routing.ospf.interfaces[2].tunnel", "azb_routing.ospf.interfaces.2.tunnel", "nosuch", "unknown tunnel"),
]


@pytest.mark.parametrize("path,where,value,reason", BAD, ids=[b[0] for b in BAD])
def test_a_tunnel_ospf_cannot_run_over_is_refused_with_the_field_path(path, where, value, reason):
    bad = docpath.changed(BOX, where, value)
    for fn in (implied.vpn_tunnels, implied.box_inputs):  # the vpn role and the zones role alike
        with pytest.raises(ValidationError) as exc:
            fn(view(bad))
        assert exc.value.path == path and reason in exc.value.reason, str(exc.value)


def test_ospf_over_an_ipsec_tunnel_is_refused():
    with pytest.raises(SpecError) as exc:
        vpn_model.check_ospf({"name": "x", "type": "ipsec", "peers": [{}, {}]}, "azb_vpn_tunnels[4]")
    assert exc.value.path == "azb_vpn_tunnels[4].type"


def test_azb_vpn_gives_the_one_peer_every_address_and_installs_no_route():
    wired = implied.vpn_tunnels(view())
    ctx = {"host": "a", "zones": ZONES_A, "deployed": {}, "certificates": set(),
           "play_hosts": {"c": {"public_keys": {"ac": KB, "hub": KB}, "zones": ZONES_C}}}
    ac, hub = vpn_model.validate({"tunnels": copy.deepcopy(wired)}, ctx)
    paths = vpn_render.Paths()
    assert "AllowedIPs = 0.0.0.0/0\n" in vpn_render.wg_conf(ac, paths)
    assert ac.routes() == [] and vpn_render.route_lines(ac, "ac") == []
    assert "ip link set ac multicast on mtu 1420 up" in vpn_render.wg_unit(ac, paths, "kernel")
    # What the peer offers is still recorded (a later --limit run keeps it), the static tunnel unchanged.
    assert ac.peers[0].record()["allowed_ips"] == ["10.99.17.2/32", "10.19.3.0/24"]
    assert "AllowedIPs = 10.98.0.2/32, 10.19.3.0/24\n" in vpn_render.wg_conf(hub, paths)
    assert "multicast" not in vpn_render.wg_unit(hub, paths, "kernel")
    with pytest.raises(SpecError) as exc:
        vpn_model.validate({"tunnels": [dict(wired[1], routing="ospf")]}, ctx)
    assert exc.value.path == "tunnels[0].peers"
