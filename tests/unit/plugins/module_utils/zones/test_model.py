"""The zone model rejects bad input with the field path, before anything touches the box."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from tests.unit import docpath
from tests.unit.docpath import DELETE
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model
from tests.unit.refusal import assert_refused

GOOD = {
    "zones": [
        {"name": "wan", "role": "wan", "bridge": "br0", "interfaces": ["wan1"],
         "address": ["192.0.2.10/29"], "gateway": "192.0.2.9"},
        {"name": "lab", "role": "restricted", "bridge": "br1", "address": ["10.1.0.1/24"]},
        {"name": "dmz", "role": "dmz", "bridge": "br2", "address": ["10.2.0.1/24"]},
        {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.3.0.1/24"]},
    ],
    "hosts": [{"name": "web", "zone": "dmz", "address": ["10.2.0.10"]}],
    "policies": [{"name": "web-db", "from": ["web"], "to": ["10.3.0.20"], "proto": "tcp", "ports": ["5432"]}],
    "port_forwards": [{"name": "http", "port": "80", "to": "web"}],
    "management_sources": ["198.18.0.1/32"],
    "inputs": [{"name": "wg-s2s", "from": ["wan"], "proto": "udp", "ports": ["51820"]},
               {"name": "ospf", "from": ["office", "wgs2s", "10.99.0.0/24"], "proto": "ospf"}],
}


def mutate(path, value):
    """Copy of GOOD with the value at a dotted path replaced (or removed with DELETE)."""
    return docpath.changed(GOOD, path, value)


BAD = [
    # (what, path to change, new value, expected field path in the error, words in the reason)
    ("no zones", "zones", [], "zones", "at least one"),
    ("no wan zone", "zones.0", DELETE, "zones", "no zone has role wan"),
    ("unknown role", "zones.1.role", "secure", "zones[1].role", "not one of"),
    ("bad zone name", "zones.1.name", "Lab Zone", "zones[1].name", "not a valid name"),
    ("zone name missing", "zones.1.name", None, "zones[1].name", "required"),
    ("duplicate zone name", "zones.2.name", "lab", "zones[2]", "duplicate zone name"),
    ("bridge name too long", "zones.1.bridge", "bridge-for-the-lab", "zones[1].bridge", "interface name"),
    ("no bridge, no interface", "zones.1.bridge", None, "zones[1]", "bridge or at least one"),
    ("bad CIDR", "zones.1.address", ["10.1.0.300/24"], "zones[1].address[0]", "not an address"),
    ("overlapping zones", "zones.2.address", ["10.1.0.129/25"], "zones[2].address", "overlaps"),
    ("interface in two zones", "zones.3.bridge", "br1", "zones[3]", "already belongs"),
    ("gateway on a trusted zone", "zones.3.gateway", "10.3.0.254", "zones[3].gateway", "only a wan zone"),
    ("gateway outside wan network", "zones.0.gateway", "198.51.100.1", "zones[0].gateway", "none of the zone"),
    ("unknown service", "zones.3.services", ["telnet"], "zones[3].services[0]", "unknown service"),
    ("intra neither accept nor drop", "zones.3.intra", "maybe", "zones[3].intra", "accept or drop"),
    ("host in unknown zone", "hosts.0.zone", "dmz2", "hosts[0].zone", "unknown zone"),
    ("host outside its zone", "hosts.0.address", ["10.3.0.10"], "hosts[0].address[0]", "outside zone dmz"),
    ("host named like a zone", "hosts.0.name", "office", "hosts[0].name", "already the name of a zone"),
    ("bad host address", "hosts.0.address", ["10.2.0.x"], "hosts[0].address[0]", "not a valid IP"),
    ("policy to unknown zone", "policies.0.to", ["office2"], "policies[0].to[0]", "unknown zone or host"),
    ("policy from bad CIDR", "policies.0.from", ["10.0.0.0/33"], "policies[0].from[0]", "not a valid"),
    ("port out of range", "policies.0.ports", ["70000"], "policies[0].ports[0]", "out of range"),
    ("port zero", "policies.0.ports", ["0"], "policies[0].ports[0]", "out of range"),
    ("reversed range", "policies.0.ports", ["90-80"], "policies[0].ports[0]", "reversed"),
    ("port not a number", "policies.0.ports", ["http"], "policies[0].ports[0]", "not a port"),
    ("tcp without ports", "policies.0.ports", [], "policies[0].ports", "needs ports"),
    ("icmp with ports", "policies.0.proto", "icmp", "policies[0].ports", "need proto tcp or udp"),
    ("unknown proto", "policies.0.proto", "sctp", "policies[0].proto", "not one of"),
    ("bad rate limit", "policies.0.rate_limit", "fast", "policies[0].rate_limit", "N/second"),
    ("policy without from", "policies.0.from", [], "policies[0].from", "required"),
    ("self mixed with others", "policies.0.to", ["self", "office"], "policies[0].to[0]", "cannot be mixed"),
    ("forward to an address in no zone", "port_forwards.0.to", "172.16.0.5", "port_forwards[0].to", "in no zone"),
    ("forward to the WAN side", "port_forwards.0.to", "192.0.2.11", "port_forwards[0].to", "WAN side"),
    ("forward port out of range", "port_forwards.0.port", "65536", "port_forwards[0].port", "out of range"),
    ("forward to unknown wan", "port_forwards.0.wan", ["wan9"], "port_forwards[0].wan[0]", "not a wan zone"),
    ("bad management source", "management_sources", ["198.18.0.1/40"], "management_sources[0]", "not a valid"),
    ("bad nat source", "nat_sources", ["nonsense"], "nat_sources[0]", "not a valid"),
    ("input without name", "inputs.0.name", None, "inputs[0].name", "required"),
    ("input without from", "inputs.0.from", [], "inputs[0].from", "required"),
    ("input from a bad CIDR", "inputs.1.from", ["10.99.0.0/33"], "inputs[1].from[0]", "not a valid CIDR"),
    ("input from a bad address", "inputs.1.from", ["10.99.0.300"], "inputs[1].from[0]", "not a valid CIDR"),
    ("input from a bad interface", "inputs.1.from", ["not an interface!"], "inputs[1].from[0]", "not a zone"),
    ("input unknown proto", "inputs.1.proto", "sctpx", "inputs[1].proto", "protocol number"),
    ("input proto out of range", "inputs.1.proto", 256, "inputs[1].proto", "protocol number"),
    ("input udp without ports", "inputs.0.ports", [], "inputs[0].ports", "needs ports"),
    ("input ospf with ports", "inputs.1.ports", ["89"], "inputs[1].ports", "need proto tcp or udp"),
    ("input port out of range", "inputs.0.ports", ["65536"], "inputs[0].ports[0]", "out of range"),
    ("input duplicate name", "inputs.1.name", "wg-s2s", "inputs[1]", "duplicate input name"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_with_its_field_path(what, path, value, field, words):
    assert_refused(lambda: model.build(mutate(path, value)), field, words)


def test_duplicate_policy_names():
    doc = copy.deepcopy(GOOD)
    doc["policies"].append(dict(doc["policies"][0]))
    with pytest.raises(ValidationError) as err:
        model.build(doc)
    assert err.value.path == "policies[1]" and "duplicate policy name" in err.value.reason


def test_duplicate_forwarded_wan_port():
    doc = copy.deepcopy(GOOD)
    doc["port_forwards"].append({"name": "http2", "port": "80", "to": "10.2.0.11"})
    with pytest.raises(ValidationError) as err:
        model.build(doc)
    assert err.value.path == "port_forwards[1]" and "WAN port" in err.value.reason


def test_range_forward_cannot_remap_the_port():
    doc = mutate("port_forwards.0.port", "8000-8010")
    doc["port_forwards"][0]["to_port"] = 80
    with pytest.raises(ValidationError) as err:
        model.build(doc)
    assert err.value.path == "port_forwards[0].to_port"


def test_good_input_builds_and_defaults_follow_the_role():
    site = model.build(GOOD)
    roles = dict((z.name, z) for z in site.zones)
    assert roles["lab"].services == [] and roles["lab"].internet is False
    assert roles["office"].internet is True and "dns" in roles["office"].services
    assert site.forwards[0].to_addr.exploded == "10.2.0.10"
    assert site.policies[0].plain


@pytest.mark.parametrize("zone,message", [
    ({"name": "v", "role": "restricted", "bridge": "br4", "interfaces": ["eno2.4095"]},
     "zones[4].interfaces[0]: eno2.4095 names VLAN 4095 of eno2: VLAN ids are 1-4094"),
    ({"name": "v", "role": "restricted", "bridge": "br4", "interfaces": ["eno2.0"]},
     "zones[4].interfaces[0]: eno2.0 names VLAN 0 of eno2"),
    ({"name": "v", "role": "restricted", "bridge": "br4", "interfaces": ["eno2.10.20"]},
     "zones[4].interfaces[0]: eno2.10.20 is a VLAN of VLAN eno2.10: stacked VLANs (QinQ) are not supported"),
    ({"name": "v", "role": "restricted", "interfaces": ["eno2.30"]},
     "zones[4].interfaces[0]: VLAN eno2.30 needs the zone's bridge or address"),
    ({"name": "v", "role": "restricted", "bridge": "br4", "interfaces": ["br3.30"]},
     "zones[4].interfaces[0]: br3.30 is a VLAN of br3, the bridge of zone office"),
])
def test_bad_vlans_are_refused_with_the_field_path(zone, message):
    doc = copy.deepcopy(GOOD)
    doc["zones"].append(zone)
    with pytest.raises(ValidationError) as exc:
        model.build(doc)
    assert message in str(exc.value)
