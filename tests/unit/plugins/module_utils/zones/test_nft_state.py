"""Listings are split into structure and set elements; element-only changes stay element-only."""
from ansible_collections.azblink.nfv.plugins.module_utils.zones import nft_state

LIVE = """table inet azblink {
    set acl4_allow {
        type ipv4_addr . ipv4_addr . inet_proto . inet_service
        flags interval
        elements = { 10.3.0.0/24 . 10.4.0.0/24 . tcp . 22,
                 10.3.0.5 . 10.2.0.10 . tcp . 443 }
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ip saddr . ip daddr . meta l4proto . th dport @acl4_allow counter packets 12 bytes 900 accept
    }
}
""".replace("    ", "\t")  # nft indents with tabs


def test_counters_do_not_count_as_change():
    assert nft_state.normalise(LIVE) == nft_state.normalise(LIVE.replace("packets 12 bytes 900", "packets 0 bytes 0"))


def test_split_separates_elements_from_structure():
    structure, elements = nft_state.split(LIVE)
    assert "elements" not in structure and "chain forward" in structure
    assert elements[("inet", "azblink", "acl4_allow")] == frozenset(
        ["10.3.0.0/24 . 10.4.0.0/24 . tcp . 22", "10.3.0.5 . 10.2.0.10 . tcp . 443"])


def test_one_element_changed_is_one_delete_and_one_add():
    desired = LIVE.replace("tcp . 443", "tcp . 8443")
    txn = nft_state.element_changes(LIVE, desired)
    assert txn == ("delete element inet azblink acl4_allow { 10.3.0.5 . 10.2.0.10 . tcp . 443 }\n"
                   "add element inet azblink acl4_allow { 10.3.0.5 . 10.2.0.10 . tcp . 8443 }\n")


def test_structure_change_needs_a_full_replace():
    assert nft_state.element_changes(LIVE, LIVE.replace("policy drop", "policy accept")) is None


def test_equal_listings_need_nothing():
    assert nft_state.element_changes(LIVE, LIVE) == ""


def test_summary_names_added_and_removed_elements():
    lines = nft_state.summary(LIVE, LIVE.replace("tcp . 443", "tcp . 8443"))
    assert "+ inet azblink set acl4_allow: 10.3.0.5 . 10.2.0.10 . tcp . 8443" in lines
    assert "- inet azblink set acl4_allow: 10.3.0.5 . 10.2.0.10 . tcp . 443" in lines
