"""What one role's declarations imply for the others, computed on the controller."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model

from tests.unit import docpath

SITE_A = [
    {"name": "uplink", "role": "wan", "bridge": "br0", "interfaces": ["wan1"], "address": "192.0.2.10/29"},
    {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.31.0.1/24"]},
    {"name": "vpn", "role": "trusted"},
]
SITE_B = [
    {"name": "uplink", "role": "wan", "bridge": "br0", "interfaces": ["wan1"], "address": ["192.0.2.18/29"]},
    {"name": "office", "role": "trusted", "bridge": "br3", "address": "10.32.0.1/24"},
    {"name": "tunnels", "role": "trusted"},
]
TUNNELS = [
    {"name": "wgs2s", "network": "10.99.0.0/24", "port": 51820, "zone": "vpn", "table": 200,
     "peers": [{"name": "site-a", "address": "10.99.0.1"},
               {"name": "site-b", "address": "10.99.0.2", "zone": "tunnels"}]},
    {"name": "wgrw", "network": "10.98.0.0/24", "port": 51821, "zone": "vpn",
     "peers": [{"name": "site-a", "address": "10.98.0.1", "endpoint": "192.0.2.10"}],
     "clients": [{"name": "laptop", "address": "10.98.0.10"}]},
    {"name": "ipsec-hq", "type": "ipsec", "network": "10.97.0.0/24",
     "peers": [{"name": "site-b"}, {"name": "hq", "public_key": "x", "networks": ["10.50.0.0/16"]}]},
]
BOX_A = {"azb_zones": SITE_A, "azb_vpn_tunnels": TUNNELS}


def view(box=None, host="site-a", peers=None):
    return implied.BoxView(host, box or BOX_A, {"site-b": SITE_B} if peers is None else peers)


def test_a_tunnel_opens_its_port_on_the_wan_zones_only_where_it_runs():
    inputs = implied.box_inputs(view())
    assert inputs == [{"name": "vpn-wgs2s", "from": ["uplink"], "proto": "udp", "ports": ["51820"]},
                      {"name": "vpn-wgrw", "from": ["uplink"], "proto": "udp", "ports": ["51821"]}]
    b = implied.box_inputs(view({"azb_zones": SITE_B, "azb_vpn_tunnels": TUNNELS}, "site-b",
                                {"site-a": SITE_A}))
    assert [i["name"] for i in b] == ["vpn-wgs2s", "vpn-ipsec-hq", "vpn-ipsec-hq-esp"]
    assert b[1]["ports"] == ["500", "4500"] and b[2]["proto"] == "esp"
    wired_b = implied.wired_zones(view({"azb_zones": SITE_B, "azb_vpn_tunnels": TUNNELS}, "site-b",
                                       {"site-a": SITE_A}))
    assert wired_b[2]["interfaces"] == ["wgs2s"]
    assert wired_b[2]["networks"] == ["10.99.0.0/24", "10.31.0.0/24"]


def test_declared_inputs_come_first_and_win_by_name():
    declared = [{"name": "vpn-wgrw", "from": ["10.0.0.0/8"], "proto": "udp", "ports": ["51821"]},
                {"name": "ospf", "from": ["office"], "proto": "ospf"}]
    inputs = implied.box_inputs(view(), declared)
    assert inputs[:2] == declared and [i["name"] for i in inputs[2:]] == ["vpn-wgs2s"]


def test_tunnel_interfaces_and_remote_networks_join_their_zone():
    zones = implied.wired_zones(view())
    vpn = zones[2]
    assert vpn["interfaces"] == ["wgs2s", "wgrw"]
    # the s2s network, site B's trusted zone (from its azb_zones), the road-warrior pool
    assert vpn["networks"] == ["10.99.0.0/24", "10.32.0.0/24", "10.98.0.0/24"]
    assert zones[:2] == SITE_A[:2]
    # ... and the zones model takes the wired zones: a policy may now name the vpn zone
    site = model.build({"zones": zones, "management_sources": ["198.18.0.1/32"],
                        "policies": [{"name": "office-vpn", "from": ["office"], "to": ["vpn"], "proto": "any"}],
                        "inputs": implied.box_inputs(view())})
    assert [str(n) for n in site.policies[0].dst] == vpn["networks"]


def test_a_tunnel_with_a_table_is_a_route_policy_target():
    assert implied.wan_tunnels(view()) == [{"name": "wgs2s", "interface": "wgs2s", "table": 200}]
    mine = [{"name": "wgs2s", "interface": "wgs2s", "table": 300}]
    assert implied.wan_tunnels(view(), mine) == mine


BAD = [
    ("tunnel in an unknown zone", "azb_vpn_tunnels.0.zone", "dmz", "azb_vpn_tunnels[0].zone", "not a zone of site-a"),
    ("tunnel in a bridged zone", "azb_vpn_tunnels.0.zone", "office", "azb_vpn_tunnels[0].zone", "has a bridge"),
    ("bad tunnel network", "azb_vpn_tunnels.0.network", "10.99.0.0/33", "azb_vpn_tunnels[0].network", "not a valid"),
    ("bad tunnel port", "azb_vpn_tunnels.1.port", 70000, "azb_vpn_tunnels[1].port", "out of range"),
    ("bad tunnel type", "azb_vpn_tunnels.1.type", "gre", "azb_vpn_tunnels[1].type", "not one of"),
    ("bad zone address", "azb_zones.1.address", ["10.31.0.300/24"], "azb_zones[1].address[0]", "not an address"),
    ("own peer entry in an unknown zone", "azb_vpn_tunnels.0.peers.0.zone", "dmz",
     "azb_vpn_tunnels[0].peers[0].zone", "not a zone of site-a"),
    ("peer zone without address", "azb_vpn_tunnels.0.peers.1.zones", ["vpn"],
     "azb_vpn_tunnels[0].peers[1].zones[0]", "not a zone of appliance 'site-b'"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_declarations_are_refused_with_their_field_path(what, path, value, field, words):
    box = docpath.changed(BOX_A, path, value)
    with pytest.raises(ValidationError) as err:
        v = view(box)
        implied.wired_zones(v)
        implied.box_inputs(v)
    assert err.value.path == field, str(err.value)
    assert words in err.value.reason, str(err.value)


def test_inputs_are_pure_the_declarations_are_not_modified():
    box = copy.deepcopy(BOX_A)
    implied.wired_zones(view(box))
    implied.box_inputs(view(box))
    assert box == BOX_A


def test_vms_are_named_hosts_and_their_published_ports_become_forwards():
    from ansible_collections.azblink.nfv.plugins.module_utils.inventory import hosts as inv_hosts
    vms = [{"name": "sbc1", "profile": "sbc", "nics": [{"zone": "office", "address": "10.31.0.30/24"}]},
           {"name": "web", "publish": [{"proto": "tcp", "port": 8443}], "nics": [{"zone": "office", "address": "10.31.0.31/24"}]},
           {"name": "quiet", "nics": [{"bridge": "br9"}]}]
    hosts = inv_hosts.with_vms([{"name": "nas", "zone": "office", "address": ["10.31.0.5"]}], vms)
    assert [h["name"] for h in hosts] == ["nas", "sbc1", "web"] and hosts[1]["address"] == ["10.31.0.30/24"]
    forwards = implied.vm_forwards(vms, hosts, [{"name": "web-tcp-8443", "port": "443", "to": "web"}])
    assert forwards == [{"name": "web-tcp-8443", "port": "443", "to": "web"},
                        {"name": "sbc1-udp-5060", "proto": "udp", "port": "5060", "to": "sbc1"},
                        {"name": "sbc1-tcp-5061", "proto": "tcp", "port": "5061", "to": "sbc1"},
                        {"name": "sbc1-udp-10000to20000", "proto": "udp", "port": "10000-20000", "to": "sbc1"}]
    # ... which the zones model accepts as they are
    site = model.build({"zones": implied.wired_zones(view()), "hosts": hosts, "port_forwards": forwards,
                        "management_sources": ["198.18.0.1/32"]})
    assert [f.to_addr.exploded for f in site.forwards][1:] == ["10.31.0.30"] * 3


def test_a_publishing_vm_without_an_address_is_refused_with_its_path():
    vms = [{"name": "ok"}, {"name": "sbc1", "profile": "sbc", "nics": [{"zone_role": "dmz"}]}]
    with pytest.raises(ValidationError) as err:
        implied.vm_forwards(vms, [])
    assert err.value.path == "azb_vms[1].publish" and "no NIC with a zone" in err.value.reason
    with pytest.raises(ValidationError) as err:
        implied.vm_forwards([{"name": "x", "publish": [{"proto": "icmp", "port": 1}]}], [{"name": "x"}])
    assert err.value.path == "azb_vms[0].publish[0]"
