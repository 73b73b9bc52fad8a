"""Policies in both forms: the model checks each entry (no argument spec pass) and names the field."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.zones import model, render_nft
from tests.unit.refusal import assert_refused

from .test_model import GOOD


def build(**changes):
    doc = copy.deepcopy(GOOD)
    doc.update(changes)
    return model.build(doc)


def test_compact_lines_build_the_same_policies_as_dicts():
    dicts = [{"name": "a", "from": ["web", "10.3.0.7"], "to": ["10.3.0.20"], "proto": "tcp", "ports": ["5432", "6000-6010"]},
             {"name": "b", "from": ["office"], "to": ["dmz"], "proto": "icmp", "action": "drop", "log": True},
             {"name": "c", "from": ["any"], "to": ["self"], "proto": "udp", "ports": ["161"]}]
    text = ("# name from to proto ports action\n\n"
            "a web,10.3.0.7 10.3.0.20 tcp 5432,6000-6010\n"
            "b office dmz icmp drop log\n"
            "  c any self udp 161\n")
    from_dicts = render_nft.render(build(policies=dicts))
    from_lines = render_nft.render(build(policies=[], policies_compact=text))
    assert from_lines == from_dicts


def test_both_forms_together_and_names_unique_across_them():
    site = build(policies_compact="extra office dmz tcp 22\n")
    assert [p.name for p in site.policies] == ["web-db", "extra"]
    assert_refused(lambda: build(policies_compact="x office dmz tcp 22\nweb-db office dmz tcp 23\n"),
                   "policies_compact[line 2]", "duplicate policy name 'web-db' (first at policies[0])")


COMPACT_BAD = [
    ("too few words", "a office dmz\n", "policies_compact[line 1]", "needs NAME FROM TO PROTO"),
    ("unknown word", "a office dmz tcp 22 maybe\n", "policies_compact[line 1]", "not ports, accept, drop or log"),
    ("bad source", "# c\na office,10.0.0.300 dmz tcp 22\n", "policies_compact[line 2].from[1]", "not a valid"),
    ("bad port", "a office dmz tcp 22,99999\n", "policies_compact[line 1].ports[1]", "out of range"),
    ("bad name", "A office dmz tcp 22\n", "policies_compact[line 1].name", "not a valid name"),
    ("unknown zone", "a office dmz2 tcp 22\n", "policies_compact[line 1].to[0]", "unknown zone or host"),
]


@pytest.mark.parametrize("what,text,field,words", COMPACT_BAD, ids=[b[0] for b in COMPACT_BAD])
def test_compact_errors_name_the_line_and_field(what, text, field, words):
    assert_refused(lambda: build(policies_compact=text), field, words)


DICT_BAD = [
    ("unknown field", {"frm": ["office"]}, "policies[0].frm", "unknown field"),
    ("log not a boolean", {"log": "perhaps"}, "policies[0].log", "not a boolean"),
    ("action", {"action": "reject"}, "policies[0].action", "accept or drop"),
    ("not a dict", None, "policies[0]", "must be a dictionary"),
]


@pytest.mark.parametrize("what,change,field,words", DICT_BAD, ids=[b[0] for b in DICT_BAD])
def test_entries_are_checked_like_the_argument_spec_did(what, change, field, words):
    entry = None if change is None else dict(GOOD["policies"][0], **change)
    assert_refused(lambda: build(policies=[entry]), field, words)


def test_strings_are_converted_like_the_argument_spec_did():
    p = build(policies=[dict(GOOD["policies"][0], log="yes", ports=[5432])]).policies[0]
    assert p.log is True and p.ports == [(5432, 5432)]


def test_a_covered_entry_is_dropped_and_a_host_list_is_one_element_each():
    srcs = ["10.3.0.%d" % i for i in range(1, 201)]
    site = build(policies=[{"name": "wide", "from": ["office"], "to": ["dmz"], "proto": "tcp", "ports": ["1-1000"]},
                           {"name": "list", "from": srcs, "to": ["10.2.0.10"], "proto": "tcp", "ports": ["443"]},
                           {"name": "other", "from": srcs, "to": ["10.2.0.10"], "proto": "tcp", "ports": ["4443"]}])
    allow = render_nft.acl_elements(site.policies, "accept")[4]
    assert len(allow) == 1 + 200
    assert not any(" . 443" in e for e in allow)
