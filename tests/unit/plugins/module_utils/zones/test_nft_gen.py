"""The nftables generation reply is read from its netlink attributes."""
import struct

from ansible_collections.azblink.nfv.plugins.module_utils.zones import nft_gen


def reply(attrs, mtype=(10 << 8) | 15):
    body = struct.pack("=BBH", 0, 0, 0) + b"".join(attrs)
    return struct.pack("=LHHLL", 16 + len(body), mtype, 0, 1, 0) + body


def attr(atype, payload):
    raw = struct.pack("=HH", 4 + len(payload), atype) + payload
    return raw + b"\0" * ((4 - len(raw) % 4) % 4)


def test_generation_id_is_big_endian_after_other_attributes():
    data = reply([attr(3, b"nft\0\0"), attr(nft_gen.NFTA_GEN_ID, struct.pack(">L", 4242)),
                  attr(2, struct.pack(">L", 7))])
    assert nft_gen.parse_genid(data) == 4242


def test_an_error_or_a_short_reply_is_no_generation():
    assert nft_gen.parse_genid(reply([attr(nft_gen.NFTA_GEN_ID, struct.pack(">L", 1))], mtype=2)) is None
    assert nft_gen.parse_genid(b"\0" * 8) is None
    assert nft_gen.parse_genid(reply([attr(3, b"x")])) is None
