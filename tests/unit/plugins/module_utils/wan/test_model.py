"""azb_wan_policy's model rejects bad input with the field path, before anything touches the box."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.wan import model

from tests.unit.refusal import assert_refused
from .conftest import GOOD, mutate

BAD = [
    # (what, path to change, new value, expected field path, words in the reason)
    ("no WANs", "wans", [], "wans", "at least one"),
    ("unknown mode", "mode", "roundrobin", "mode", "not one of"),
    ("WAN without name", "wans.0.name", None, "wans[0].name", "required"),
    ("bad WAN name", "wans.0.name", "WAN 1", "wans[0].name", "not a valid name"),
    ("duplicate WAN name", "wans.1.name", "wan1", "wans[1]", "duplicate WAN name"),
    ("WAN without interface", "wans.0.interface", None, "wans[0].interface", "required"),
    ("interface name too long", "wans.0.interface", "a-very-long-ifname", "wans[0].interface", "interface name"),
    ("two WANs on one interface", "wans.1.interface", "wan1", "wans[1]", "duplicate interface"),
    ("no gateway", "wans.0.gateway", None, "wans[0].gateway", "required"),
    ("gateway and dhcp", "wans.0.dhcp", True, "wans[0].gateway", "DHCP"),
    ("bad gateway", "wans.0.gateway", "192.0.2.300", "wans[0].gateway", "not a valid IP"),
    ("gateway off the WAN network", "wans.0.gateway", "198.51.100.25", "wans[0].gateway", "none of the WAN"),
    ("bad WAN address", "wans.0.address", ["192.0.2.26/33"], "wans[0].address[0]", "not an address"),
    ("all weights zero", "wans", [dict(GOOD["wans"][0], weight=0), dict(GOOD["wans"][1], weight=0)],
     "wans", "all weights are zero"),
    ("negative weight", "wans.0.weight", -1, "wans[0].weight", "out of range"),
    ("duplicate table ids", "wans.1.table", 101, "wans[1]", "duplicate table id"),
    ("reserved table main", "wans.0.table", 254, "wans[0].table", "reserved"),
    ("strongSwan's table", "wans.0.table", 220, "wans[0].table", "reserved"),
    ("tunnel table equals a WAN's", "tunnels.0.table", 102, "tunnels[0].table", "duplicate table id"),
    ("tunnel without table", "tunnels.0.table", None, "tunnels[0].table", "required"),
    ("tunnel named like a WAN", "tunnels.0.name", "wan2", "tunnels[0].name", "already"),
    ("WAN named like an inside zone", "wans.1.name", "office", "wans[1].name", "not a wan zone"),
    ("no health probe", "wans.1.health", {"targets": []}, "wans[1].health.targets", "at least one"),
    ("probe target inside a zone", "wans.0.health.targets.1", "10.3.0.20", "wans[0].health.targets[1]",
     "inside zone office"),
    ("tcp probe inside a zone", "wans.0.health.probes.2.target", "10.2.0.10", "wans[0].health.probes[2].target",
     "inside zone dmz"),
    ("http probe inside a zone", "wans.0.health.probes.0.url", "http://10.3.0.9/", "wans[0].health.probes[0].url",
     "inside zone office"),
    ("http probe by name", "wans.0.health.probes.0.url", "http://www.example.com/", "wans[0].health.probes[0].url",
     "not http://IP"),
    ("unknown probe type", "wans.0.health.probes.0.type", "smtp", "wans[0].health.probes[0].type", "not one of"),
    ("tcp probe without port", "wans.0.health.probes.2.port", None, "wans[0].health.probes[2].port", "required"),
    ("bad dns probe query", "wans.0.health.probes.1.query", "bad name!", "wans[0].health.probes[1].query",
     "not a domain"),
    ("bad ICMP target", "wans.0.health.targets.0", "203.0.113", "wans[0].health.targets[0]", "not a valid IP"),
    ("quorum above probes", "wans.1.health.quorum", 2, "wans[1].health.quorum", "more than the 1 probes"),
    ("confirm slower than the interval", "wans.0.health.confirm_ms", 500, "wans[0].health.confirm_ms",
     "longer than"),
    ("negative down window", "wans.0.health.down_window_ms", -1, "wans[0].health.down_window_ms", "out of range"),
    ("interval too short", "wans.0.health.interval_ms", 10, "wans[0].health.interval_ms", "out of range"),
    ("down threshold zero", "wans.0.health.down", 0, "wans[0].health.down", "out of range"),
    ("WAN resolver inside a zone", "wans.0.dns", ["10.3.0.1"], "wans[0].dns[0]", "inside zone office"),
    ("unknown WAN in a policy", "policies.0.via", "wan3", "policies[0].via", "unknown WAN or tunnel"),
    ("unknown tunnel in a policy", "policies.2.via", "vpn9", "policies[2].via", "unknown WAN or tunnel"),
    ("policy without via", "policies.0.via", None, "policies[0].via", "required"),
    ("unknown zone in a policy", "policies.1.from", ["office", "sales"], "policies[1].from[1]",
     "unknown zone or host"),
    ("unknown host in a policy", "policies.0.from", ["vip2"], "policies[0].from[0]", "unknown zone or host"),
    ("bad source CIDR", "policies.0.from", ["10.3.0.0/40"], "policies[0].from[0]", "not a valid"),
    ("bad destination", "policies.1.to", ["203.0.113.0/24", "nowhere"], "policies[1].to[1]", "not a valid"),
    ("IPv6 destination", "policies.1.to", ["2001:db8::/32"], "policies[1].to[0]", "IPv6"),
    ("policy matching everything", "policies.0.from", [], "policies[0]", "needs from or to"),
    ("ports without protocol", "policies.1.proto", "any", "policies[1].ports", "need proto"),
    ("port out of range", "policies.1.ports", ["70000"], "policies[1].ports[0]", "out of range"),
    ("reversed port range", "policies.1.ports", ["9100-9000"], "policies[1].ports[0]", "reversed"),
    ("unknown on_failure", "policies.2.on_failure", "retry", "policies[2].on_failure", "not one of"),
    ("duplicate policy name", "policies.1.name", "vip", "policies[1]", "duplicate policy name"),
    ("split DNS from unknown zone", "split_dns.0.from", ["sales"], "split_dns[0].from[0]", "unknown zone"),
    ("split DNS for the WAN zone", "split_dns.0.from", ["wan1"], "split_dns[0].from[0]", "wan zone"),
    ("split DNS per host", "split_dns.0.from", ["vip"], "split_dns[0].from[0]", "not supported"),
    ("split DNS bad domain", "split_dns.0.domains", ["corp..test"], "split_dns[0].domains[0]", "not a domain"),
    ("split DNS without servers", "split_dns.0.servers", [], "split_dns[0].servers", "required"),
    ("split DNS bad server", "split_dns.0.servers", ["corp-dns"], "split_dns[0].servers[0]", "not a valid IP"),
    ("split DNS without WAN resolvers", "wans", [dict(GOOD["wans"][0], dns=[]), dict(GOOD["wans"][1], dns=[])],
     "split_dns", "no WAN declares dns"),
    ("host in unknown zone", "hosts.0.zone", "sales", "hosts[0].zone", "unknown zone"),
    ("duplicate zone", "zones.3.name", "office", "zones[3]", "duplicate zone name"),
    ("wan zone keeps its gateway", "zones.0.gateway", "192.0.2.25", "zones[0].gateway", "leave the wan zone's gateway out"),
    ("bad rebind-ok domain", "rebind_ok_domains", ["ok.test", "-bad-"], "rebind_ok_domains[1]", "not a domain"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(what, path, value, field, words):
    assert_refused(lambda: model.build(mutate(path, value)), field, words)


def test_good_input_builds(good):
    site = model.build(good)
    assert [w.name for w in site.wans] == ["wan1", "wan2"]
    assert [(w.mark, w.table, w.priority) for w in site.wans] == [(1, 101, 10), (2, 102, 20)]
    assert [p.class_mark for p in site.policies] == [0x100, 0x200, 0x300]
    t = site.tunnels[0]
    assert (t.fallback_mark, t.closed_mark) == (0x40, 0x80)
    assert [len(w.probes) for w in site.wans] == [5, 1]
    want = {"interval_ms": 200, "confirm_ms": 100, "timeout_ms": 300, "down": 3, "down_window_ms": 400, "up": 5,
            "hold_down_s": 10, "quorum": 1}
    assert site.wans[0].health == want


def test_dhcp_wan_needs_no_gateway():
    site = model.build(mutate("wans.1", {"name": "wan2", "interface": "wan2", "dhcp": True,
                                         "health": {"targets": ["203.0.113.1"]}}))
    assert site.wans[1].dhcp and site.wans[1].gateway is None


def test_argument_spec_none_values_take_position_defaults(good):
    good["wans"][1]["priority"] = None
    good["wans"][1]["table"] = None
    site = model.build(good)
    assert (site.wans[1].priority, site.wans[1].table) == (20, 102)
