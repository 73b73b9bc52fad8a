"""The chain model: bad inputs are refused with the field path, before anything changes."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from tests.unit import docpath
from tests.unit.plugins.module_utils.chain.conftest import EXAMPLE
from tests.unit.refusal import assert_refused

DELETE = docpath.DELETE
SECOND_CHAIN = {"name": "lab-out", "from": ["10.1.0.0/24"], "hops": [{"name": "fw", "instances": ["fw2"]}],
                "exit": {"via": "wan1"}}
FW2 = {"name": "fw2", "kind": "nftables"}

BAD = [
    # (id, dotted path to change, new value, expected field path, words of the reason)
    ("unknown zone", "chains.0.from.0", "nowhere", "chains[0].from[0]", "not a known zone"),
    ("bad source CIDR", "chains.0.from.0", "10.3.0.0/33", "chains[0].from[0]", "not a valid"),
    ("unknown VNF", "chains.0.hops.0.instances.0", "fw9", "chains[0].hops[0].instances[0]", "not a declared VNF"),
    ("hop with no instance", "chains.0.hops.1.instances", [], "chains[0].hops[1].instances", "at least one"),
    ("loop through a VNF", "chains.0.hops.2.instances", ["fw1"], "chains[0].hops[2].instances[0]", "loop"),
    ("exit that does not exist", "chains.0.exit.via", "wan9", "chains[0].exit.via", "not a declared WAN"),
    ("exit missing", "chains.0.exit", DELETE, "chains[0].exit.via", "required"),
    ("unknown exit failure mode", "chains.0.exit.on_failure", "leak", "chains[0].exit.on_failure", "not one of"),
    ("no hops", "chains.0.hops", [], "chains[0].hops", "required"),
    ("duplicate hop name", "chains.0.hops.1.name", "fw", "chains[0].hops[1]", "duplicate hop name"),
    ("mode against the VNF's kind", "chains.0.hops.0.mode", "proxy", "chains[0].hops[0].instances[0]",
     "cannot serve a proxy hop"),
    ("unknown mode", "chains.0.hops.0.mode", "teleport", "chains[0].hops[0].mode", "not one of"),
    ("unknown on_failure", "chains.0.hops.1.on_failure", "ignore", "chains[0].hops[1].on_failure", "not one of"),
    ("port out of range", "chains.0.ports.0", 70000, "chains[0].ports[0]", "out of range"),
    ("reversed port range", "chains.0.ports.0", "90-80", "chains[0].ports[0]", "reversed"),
    ("ports without tcp/udp", "chains.0.proto", "icmp", "chains[0].ports", "need proto tcp or udp"),
    ("unknown proto", "chains.0.proto", "sctp", "chains[0].proto", "not one of"),
    ("any mixed with CIDRs", "chains.0.to", ["any", "203.0.113.0/24"], "chains[0].to[0]", "cannot be combined"),
    ("bad destination", "chains.0.to", ["203.0.113.300"], "chains[0].to[0]", "not a valid"),
    ("health interval zero", "chains.0.hops.0.health", {"interval_ms": 0}, "chains[0].hops[0].health.interval_ms",
     "out of range"),
    ("health timeout too long", "chains.0.hops.0.health", {"timeout_ms": 20000}, "chains[0].hops[0].health.timeout_ms",
     "at most"),
    ("duplicate VNF", "vnfs.3.name", "proxy1", "vnfs[3]", "duplicate VNF name"),
    ("VNF name too long", "vnfs.0.name", "firewall-one", "vnfs[0].name", "at most 10"),
    ("VNF bad name", "vnfs.0.name", "Fw1", "vnfs[0].name", "not a valid name"),
    ("unknown VNF kind", "vnfs.0.kind", "snort", "vnfs[0].kind", "not one of"),
    ("nft rule with a newline", "vnfs.0.config.rules.0", "accept\ndrop", "vnfs[0].config.rules[0]", "one nft rule"),
    ("nft rule with unbalanced braces", "vnfs.0.config.rules.0", "tcp dport { 80 accept", "vnfs[0].config.rules[0]",
     "balanced"),
    ("bad vFW policy", "vnfs.0.config.policy", "reject", "vnfs[0].config.policy", "accept or drop"),
    ("bad IPS mode", "vnfs.1.config.ips_mode", "both", "vnfs[1].config.ips_mode", "must be one of"),
    ("suricata rule without sid", "vnfs.1.config.rules.0", "alert ip any any -> any any (msg:\"x\";)",
     "vnfs[1].config.rules[0]", "needs a sid"),
    ("suricata rule bad action", "vnfs.1.config.rules.0", "block ip any any -> any any (sid:1;)",
     "vnfs[1].config.rules[0]", "not a Suricata rule action"),
    ("squid bad intercept port", "vnfs.2.config", {"intercept_ports": [0]}, "vnfs[2].config.intercept_ports[0]",
     "out of range"),
    ("squid bad client CIDR", "vnfs.2.config", {"allow": ["10.0.0.0/99"]}, "vnfs[2].config.allow[0]", "not a valid"),
    ("service network too small", "service_network", "10.255.0.0/24", "service_network", "at least /22"),
    ("service network IPv6", "service_network", "fd00::/48", "service_network", "IPv4"),
    ("exit table reserved", "tunnels.0.table", 254, "wans", "reserved"),
    ("tunnel named like a WAN", "tunnels.0.name", "wan1", "tunnels[0].name", "already a WAN"),
    ("duplicate chain", "chains", [EXAMPLE["chains"][0], EXAMPLE["chains"][0]], "chains[1]", "duplicate chain name"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_refused_with_its_path(example, case):
    _id, where, value, path, words = case
    doc = docpath.changed(example, where, value)
    assert_refused(lambda: model.build(doc), path, words)


def test_conflicting_classifiers_are_refused(example):
    """A CIDR inside the office zone overlaps the office chain (same proto and port)."""
    example["vnfs"].append(FW2)
    example["chains"].append(dict(SECOND_CHAIN, **{"from": ["10.3.0.0/25"], "proto": "tcp", "ports": [80]}))
    with pytest.raises(ValidationError) as err:
        model.build(example)
    assert err.value.path == "chains[1].from" and "overlaps chain 'office-web'" in err.value.reason


def test_a_vnf_serves_one_chain(example):
    example["chains"].append(dict(SECOND_CHAIN, hops=[{"name": "fw", "instances": ["fw1"]}]))
    with pytest.raises(ValidationError) as err:
        model.build(example)
    assert err.value.path == "chains[1].hops[0].instances[0]" and "already serves chain" in err.value.reason


def test_non_overlapping_chains_are_accepted(example):
    example["vnfs"].append(FW2)
    example["chains"].append(SECOND_CHAIN)
    site = model.build(example)
    assert [c.number for c in site.chains] == [1, 2]
    assert site.chains[1].exit_table == 101


def test_defaults(example):
    site = model.build(example)
    c = site.chains[0]
    assert [h.mode for h in c.hops] == ["routed", "inline", "proxy"]
    assert [h.on_failure for h in c.hops] == ["block", "block", "bypass"]
    assert c.hops[0].health == {"interval_ms": 100, "timeout_ms": 300, "down": 3, "up": 3}
    assert c.exit_table == 102 and c.exit_kind == "wan"
    fw1 = site.vnf("fw1")
    assert (fw1.host_in, fw1.host_out, fw1.netns) == ("azbs0i", "azbs0o", "azbv-fw1")
    assert fw1.net == {"in_host": "10.255.0.1", "in_vnf": "10.255.0.2", "out_host": "10.255.0.5",
                       "out_vnf": "10.255.0.6", "prefix": 30, "probe": "10.255.255.64"}
    assert site.sink["sink"] == "10.255.255.250"
    assert [str(n) for n in site.internal] == ["10.1.0.0/24", "10.3.0.0/24"], "zone networks, not the WANs'"


def test_exit_through_a_tunnel(example):
    example["chains"][0]["exit"] = {"via": "corpvpn"}
    c = model.build(example).chains[0]
    assert (c.exit_kind, c.exit_table) == ("tunnel", 150)


@pytest.mark.parametrize("address", ["10.1.0.20", "10.1.0.20/24", ["10.1.0.20/24"]])
def test_a_host_is_its_address_not_its_subnet(example, address):
    """A VM's NIC address carries its zone's prefix (10.1.0.20/24): the chain classifies the host."""
    example["hosts"] = [{"name": "pos1", "zone": "lab", "address": address}]
    example["chains"][0]["from"] = ["pos1"]
    c = model.build(example).chains[0]
    assert [str(n) for s in c.sources for n in s.networks] == ["10.1.0.20/32"]


def test_a_bad_host_address_is_refused_with_its_path(example):
    example["hosts"] = [{"name": "pos1", "zone": "lab", "address": ["10.1.0.300/24"]}]
    assert_refused(lambda: model.build(example), "hosts[0].address[0]", "not a valid IP")
