"""azb_qos's model rejects bad input with the field path, before anything touches the box."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.qos import model

from tests.unit.refusal import assert_refused
from .conftest import GOOD, mutate

BAD = [
    # (what, path to change, new value, expected field path, words in the reason)
    ("no links", "links", [], "links", "at least one link"),
    ("link without rate", "links.0.egress", None, "links[0].egress", "required"),
    ("rate without unit", "links.0.egress", "20", "links[0].egress", "not a rate"),
    ("rate in bytes", "links.0.egress", "20mbps", "links[0].egress", "not a rate"),
    ("absurd rate", "links.0.egress", "1000gbit", "links[0].egress", "out of range"),
    ("bad ingress rate", "links.0.ingress", "fast", "links[0].ingress", "not a rate"),
    ("two links on one interface", "links.1.interface", "wan1", "links[1]", "duplicate interface"),
    ("duplicate link name", "links.1.name", "wan1", "links[1]", "duplicate link name"),
    ("interface name too long", "links.0.interface", "a-very-long-ifname", "links[0].interface", "interface name"),
    ("class rate above the link", "classes.3.rate", "30mbit", "classes[3].rate", "above the egress rate of link wan1"),
    ("class ceiling above the slower link", "classes.0.ceil", "15mbit", "classes[0].ceil",
     "above the egress rate of link wan2"),
    ("guaranteed rates above the link", "classes.2.rate", "65%", "classes", "add up to"),
    ("rate above ceiling", "classes.0.rate", "50%", "classes[0].rate", "above the ceiling"),
    ("percentage above 100", "classes.1.ceil", "120%", "classes[1].ceil", "not in"),
    ("zero percent", "classes.1.rate", "0%", "classes[1].rate", "not in"),
    ("priority out of range", "classes.0.priority", 8, "classes[0].priority", "out of range"),
    ("unknown DSCP name", "classes.0.dscp", "urgent", "classes[0].dscp", "not a DSCP"),
    ("DSCP out of range", "classes.0.dscp", 64, "classes[0].dscp", "out of range"),
    ("duplicate class name", "classes.1.name", "realtime", "classes[1]", "duplicate class name"),
    ("too many classes", "classes", [{"name": "c%d" % i, "rate": "1%"} for i in range(9)], "classes", "at most 8"),
    ("unknown default class", "default_class", "best-effort", "default_class", "unknown class"),
    ("rule to an unknown class", "rules.0.class", "voice", "rules[0].class", "unknown class"),
    ("rule from an unknown zone", "rules.2.from", ["nvr", "cctv"], "rules[2].from[1]", "unknown zone or host"),
    ("rule from a bad CIDR", "rules.2.from", ["10.6.0.0/33"], "rules[2].from[0]", "not a valid"),
    ("rule to a bad CIDR", "rules.3.to", ["203.0.113"], "rules[3].to[0]", "not a valid"),
    ("ports without tcp/udp", "rules.0.proto", "any", "rules[0].ports", "need proto tcp or udp"),
    ("port out of range", "rules.0.ports", ["70000"], "rules[0].ports[0]", "out of range"),
    ("reversed port range", "rules.0.ports", ["20000-10000"], "rules[0].ports[0]", "reversed"),
    ("unknown protocol", "rules.0.proto", "sctp", "rules[0].proto", "not one of"),
    ("rule matching everything", "rules.1.dscp", [], "rules[1]", "matches everything"),
    ("bad DSCP match", "rules.1.dscp", ["ef", "x"], "rules[1].dscp[1]", "not a DSCP"),
    ("duplicate rule name", "rules.1.name", "voice", "rules[1]", "duplicate rule name"),
    ("host in an unknown zone", "hosts.0.zone", "cctv", "hosts[0].zone", "unknown zone"),
    ("unknown leaf", "leaf_qdisc", "cake", "leaf_qdisc", "not one of"),
    ("ingress rule exploding into u32 filters", "rules.3",
     {"name": "wide", "class": "bulk", "to": ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"], "proto": "tcp",
      "ports": ["1-65534"]}, "rules[3]", "u32 filters"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_field_path(what, path, value, field, words):
    assert_refused(lambda: model.build(mutate(path, value)), field, words)


def test_good_input_builds(good):
    site = model.build(good)
    assert [c.classid for c in site.classes] == ["1:10", "1:11", "1:12", "1:13"]
    assert site.links[0].ifb == "azbi-wan1"
    voice, marked, cameras, ssh = site.rules
    assert voice.ifnames == ["br3"] and voice.ports == [(4000, 4000), (10000, 20000)]
    assert marked.dscp == [46, 46]
    assert cameras.ifnames == ["br5"] and [str(n) for n in cameras.sources] == ["10.5.0.50/32", "10.6.0.0/24"]
    assert cameras.local_side and not ssh.local_side


def test_default_classes_fit_any_link():
    site = model.build({"links": [{"name": "w", "interface": "w0", "egress": "128kbit"}]})
    assert [c.name for c in site.classes] == ["realtime", "interactive", "default", "bulk"]
    assert site.default_class == "default"


def test_good_is_not_mutated_by_the_table():
    assert GOOD["links"][0]["egress"] == "20mbit"
