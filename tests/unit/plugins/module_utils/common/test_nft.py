"""Comparing an owned nft table: counters and the elements of run-time maps do not count, their
structure and every other set or map's elements do."""
from ansible_collections.azblink.nfv.plugins.module_utils.common import nft

LISTING = """table inet t {
\tmap pick {
\t\ttype mark : mark
\t\telements = { 0x1 : 0x1,
\t\t\t     0x2 : 0x2 }
\t}
\tmap zone_of {
\t\ttype ipv4_addr : verdict
\t\telements = { 10.0.0.1 : accept }
\t}
\tchain c {
\t\tip daddr 192.0.2.1 counter packets 12 bytes 3400 accept
\t}
}
"""


def dynamic(name):
    return name == "pick"


def test_run_time_map_elements_and_counters_do_not_count():
    rewritten = LISTING.replace("0x2 : 0x2", "0x2 : 0x1").replace("packets 12 bytes 3400", "packets 0 bytes 0")
    assert nft.strip_dynamic(LISTING, dynamic) == nft.strip_dynamic(rewritten, dynamic)
    stripped = nft.strip_dynamic(LISTING, dynamic)
    assert "0x1 : 0x1" not in stripped and "counter" not in stripped and "type mark : mark" in stripped


def test_other_maps_keep_their_elements_and_structure_counts():
    stripped = nft.strip_dynamic(LISTING, dynamic)
    assert "10.0.0.1 : accept" in stripped
    assert stripped != nft.strip_dynamic(LISTING.replace("10.0.0.1", "10.0.0.2"), dynamic)
    assert stripped != nft.strip_dynamic(LISTING.replace("type mark : mark", "type ipv4_addr : mark"), dynamic)


def test_an_absent_table_is_empty():
    assert nft.strip_dynamic("", dynamic) == "" and nft.strip_dynamic(None, dynamic) == ""


def test_table_diff_names_the_table():
    assert nft.table_diff("ip", "azblink_ha", "a", "b") == {
        "before_header": "nft table ip azblink_ha (live)", "after_header": "nft table ip azblink_ha (desired)",
        "before": "a", "after": "b"}
