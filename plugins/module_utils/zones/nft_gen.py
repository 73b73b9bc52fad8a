# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter: the nftables generation of this network namespace, asked of the kernel.

Every committed nftables transaction in a network namespace (ours or anyone's, any table) bumps
its generation counter by one. Kept with the boot and the namespace it was read in, it tells a
later run in a few microseconds that nothing in nftables changed since the ruleset it applied:
then that run needs neither the live listing (0.5 s at 10,000 entries, seconds at 100,000) nor a
scratch load to know the box still runs exactly that ruleset. Anything else (another table
changed, a reboot, a rollback timer that fired) and the caller compares listings as before.

One netlink request (NFT_MSG_GETGEN), answered with NFTA_GEN_ID; needs CAP_NET_ADMIN (root).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import struct

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETGEN = 16
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
NFTA_GEN_ID = 1
_HDR = struct.Struct("=LHHLL")     # nlmsghdr: len, type, flags, seq, pid
_ATTR = struct.Struct("=HH")       # nlattr: len, type


def parse_genid(data):
    """NFTA_GEN_ID of a GETGEN reply (bytes), or None."""
    if len(data) < _HDR.size + 4:
        return None
    length, mtype, _flags, _seq, _pid = _HDR.unpack_from(data)
    if mtype == NLMSG_ERROR:
        return None
    off = _HDR.size + 4            # after the nfgenmsg (family, version, res_id)
    end = min(length, len(data))
    while off + _ATTR.size <= end:
        alen, atype = _ATTR.unpack_from(data, off)
        if alen < _ATTR.size:
            return None
        if atype & 0x3fff == NFTA_GEN_ID and alen >= 8:
            return struct.unpack_from(">L", data, off + _ATTR.size)[0]
        off += (alen + 3) & ~3
    return None


def genid():
    """The namespace's nftables generation, or None where netlink cannot tell it."""
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    except (AttributeError, OSError):
        return None
    try:
        sock.settimeout(2)
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, 0)   # nfgenmsg: family, NFNETLINK_V0, res_id
        sock.send(_HDR.pack(_HDR.size + len(body), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN,
                            NLM_F_REQUEST, 1, 0) + body)
        return parse_genid(sock.recv(65536))
    except (OSError, socket.timeout):
        return None
    finally:
        sock.close()


def _read(path):
    try:
        with open(path) as fh:
            return fh.read().strip()
    except (IOError, OSError):
        return None


def generation():
    """[boot id, namespace inode, generation], or None: equal values mean no nftables change between."""
    gen = genid()
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        netns = os.stat("/proc/self/ns/net").st_ino
    except OSError:
        netns = None
    if gen is None or boot is None or netns is None:
        return None
    return [boot, netns, gen]
