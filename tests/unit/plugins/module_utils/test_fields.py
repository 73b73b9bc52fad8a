"""The shared field validators refuse with the path of the field: choices, lists of entries,
proto and ports."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError


def _refused(fn, *args):
    with pytest.raises(ValidationError) as exc:
        fn(*args)
    return exc.value.path, exc.value.reason


def test_one_of_names_the_choices():
    assert f.one_of("tcp", ("tcp", "udp"), "rules[0].proto") == "tcp"
    assert _refused(f.one_of, "sctp", ("tcp", "udp"), "rules[0].proto") == (
        "rules[0].proto", "'sctp' is not one of tcp, udp")


def test_entries_give_index_entry_and_path():
    assert list(f.entries([{"a": 1}, {"b": 2}], "links")) == [(0, {"a": 1}, "links[0]"), (1, {"b": 2}, "links[1]")]


def test_too_many_entries_are_refused_before_any_is_read():
    assert _refused(f.entries, [{}, {}, {}], "rules", 2, "rules") == ("rules", "at most 2 rules")


def test_an_entry_that_is_not_a_dictionary_is_refused_when_reached():
    seen = []
    with pytest.raises(ValidationError) as exc:
        for i, _e, _p in f.entries([{}, "x", {}], "wans"):
            seen.append(i)
    assert seen == [0] and exc.value.path == "wans[1]" and exc.value.reason == "must be a dictionary"


def test_proto_ports_parses_ranges_and_defaults_to_any():
    assert f.proto_ports({"proto": "udp", "ports": ["5060", "10000-20000"]}, "rules[2]", ("tcp", "udp", "any")) == (
        "udp", [(5060, 5060), (10000, 20000)])
    assert f.proto_ports({}, "rules[0]", ("tcp", "udp", "any")) == ("any", [])


def test_ports_need_tcp_or_udp_and_a_bad_port_names_its_index():
    protos = ("tcp", "udp", "icmp", "any")
    assert _refused(f.proto_ports, {"proto": "icmp", "ports": [80]}, "chains[0]", protos) == (
        "chains[0].ports", "ports need proto tcp or udp")
    assert _refused(f.proto_ports, {"proto": "tcp", "ports": [80, 70000]}, "chains[0]", protos)[0] == "chains[0].ports[1]"
    assert _refused(f.proto_ports, {"proto": "gre"}, "chains[0]", protos) == (
        "chains[0].proto", "'gre' is not one of tcp, udp, icmp, any")
