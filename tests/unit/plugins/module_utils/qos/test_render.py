"""Pure renderers of azb_qos: tc batch, nft classifier, apply script, leaves, u32 port blocks."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.qos import model, rates, render
from ansible_collections.azblink.nfv.plugins.module_utils.qos.u32 import port_blocks


@pytest.mark.parametrize("lo,hi", [(1, 65535), (4000, 4000), (10000, 20000), (0, 0), (1023, 1025), (5060, 5061)])
def test_port_blocks_cover_exactly_the_range(lo, hi):
    covered = set()
    for value, mask in port_blocks(lo, hi):
        size = (~mask & 0xffff) + 1
        assert value & ~mask & 0xffff == 0, "block %d/%x is not aligned" % (value, mask)
        block = set(range(value, value + size))
        assert not covered & block
        covered |= block
    assert covered == set(range(lo, hi + 1))


def test_port_blocks_are_few():
    assert port_blocks(4000, 4000) == [(4000, 0xffff)]
    assert len(port_blocks(10000, 20000)) == 11


@pytest.mark.parametrize("text,bps", [("20mbit", 20000000), ("512kbit", 512000), ("1.5mbit", 1500000),
                                      ("1gbit", 10 ** 9), ("64KBIT", 64000)])
def test_rates(text, bps):
    assert rates.absolute(text, "x") == bps


def test_tc_rate_round_trips_how_tc_prints():
    assert rates.tc_rate(20000000) == "20Mbit"
    assert rates.tc_rate(512000) == "512Kbit"
    assert rates.tc_rate(1500) == "1500bit"


def test_htb_tree_egress(good):
    site = model.build(good)
    tc = render.tc_batch(site, "fifo").splitlines()
    assert tc[0] == "qdisc add dev wan1 root handle 1: htb default 12"
    assert "class add dev wan1 parent 1: classid 1:1 htb rate 20Mbit ceil 20Mbit quantum 1514" in tc
    assert "class add dev wan1 parent 1:1 classid 1:10 htb rate 2Mbit ceil 6Mbit prio 0 quantum 1514" in tc
    assert "class add dev wan1 parent 1:1 classid 1:13 htb rate 1Mbit ceil 20Mbit prio 3 quantum 1514" in tc
    # 50 ms at the 6 Mbit/s ceiling of realtime, in full-size packets
    assert "qdisc add dev wan1 parent 1:10 handle 10: pfifo limit 24" in tc
    # the slower link gets its own rates from the same percentages
    assert "class add dev wan2 parent 1:1 classid 1:10 htb rate 1Mbit ceil 3Mbit prio 0 quantum 1514" in tc


def test_ingress_goes_through_the_ifb_classified_by_u32(good):
    tc = render.tc_batch(model.build(good), "fifo").splitlines()
    assert ("filter add dev wan1 parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress "
            "redirect dev azbi-wan1") in tc
    assert "qdisc add dev azbi-wan1 root handle 1: htb default 12" in tc
    # the voice rule names a zone: egress only; the DSCP rule applies both ways; ssh by remote source
    assert not [l for l in tc if "sport 4000" in l]
    assert "filter add dev azbi-wan1 parent 1: protocol ip prio 2 u32 match ip dsfield 0xb8 0xfc flowid 1:10" in tc
    assert ("filter add dev azbi-wan1 parent 1: protocol ip prio 4 u32 match ip src 203.0.113.0/24 "
            "match ip protocol 6 0xff match ip sport 22 0xffff flowid 1:11") in tc
    assert not [l for l in tc if "wan2" in l and ("ingress" in l or "ifb" in l)]


def test_nft_classifier(good):
    nft = render.nft_table(model.build(good))
    assert 'oifname != { "wan1", "wan2" } return' in nft
    assert ('meta nfproto ipv4 iifname "br3" meta l4proto udp udp dport { 4000, 10000-20000 } '
            'meta priority set 1:10 ip dscp set 0x2e accept') in nft
    # from: zone or host or CIDR are alternatives, one rule each
    assert 'meta nfproto ipv4 iifname "br5" meta priority set 1:13 ip dscp set 0x08 accept' in nft
    assert ('meta nfproto ipv4 ip saddr { 10.5.0.50/32, 10.6.0.0/24 } meta priority set 1:13 ip dscp set 0x08 '
            'accept') in nft
    assert nft.rstrip().endswith("meta priority set 1:12\n  }\n}")
    assert nft.index("table inet azblink_qos\ndelete table inet azblink_qos\n") > 0  # one atomic replace


def test_default_class_with_a_dscp_marks_both_families(good):
    good["default_class"] = "bulk"
    nft = render.nft_table(model.build(good))
    assert "meta nfproto ipv4 meta priority set 1:13 ip dscp set 0x08 accept" in nft
    assert "meta nfproto ipv6 meta priority set 1:13 ip6 dscp set 0x08 accept" in nft


@pytest.mark.parametrize("caps,want", [({"qdisc_fq_codel": True, "qdisc_sfq": True}, "fq_codel"),
                                       ({"qdisc_fq_codel": False, "qdisc_sfq": True}, "sfq"),
                                       ({}, "fifo"), (None, "fifo")])
def test_leaf_follows_the_capability_probe(caps, want):
    assert render.leaf_kind("auto", caps) == want
    assert render.leaf_kind("sfq", caps) == "sfq"


def test_leaves_are_rendered_for_the_kernel(good):
    assert "handle 10: fq_codel" in render.tc_batch(model.build(good), "fq_codel")
    assert "handle 10: sfq perturb 10" in render.tc_batch(model.build(good), "sfq")
    assert render.fifo_limit(64000, 50) == 4


def test_apply_script_waits_clears_and_loads(good):
    sh = render.script(model.build(good))
    assert "until ip link show dev wan1" in sh
    assert "ip link show dev azbi-wan1 >/dev/null 2>&1 || ip link add azbi-wan1 type ifb" in sh
    assert "ip link del dev azbi-wan2 2>/dev/null || true" in sh  # wan2 has no ingress shaping
    assert sh.index('tc -batch "$DIR/qos.tc"') < sh.index('nft -f "$DIR/qos.nft"')


def test_files_and_unit(good):
    files = render.files(model.build(good), "fifo")
    assert sorted(files) == ["/etc/azblink/qos.json", "/etc/azblink/qos.nft", "/etc/azblink/qos.sh",
                             "/etc/azblink/qos.tc", "/etc/systemd/system/azb-qos.service"]
    assert "ExecStart=/bin/sh /etc/azblink/qos.sh /etc/azblink" in files["/etc/systemd/system/azb-qos.service"]


def test_summary_in_numbers(good):
    s = render.summary(model.build(good), "fifo")
    assert [(x["link"], x["direction"], x["rate"]) for x in s] == [
        ("wan1", "egress", "20mbit"), ("wan1", "ingress", "50mbit"), ("wan2", "egress", "10mbit")]
    assert s[0]["classes"][0] == {"name": "realtime", "classid": "1:10", "priority": 0, "rate": "2mbit",
                                  "ceil": "6mbit", "dscp": 46}
