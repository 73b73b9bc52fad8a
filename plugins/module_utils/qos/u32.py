# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""u32 needs value/mask pairs: a port range becomes the fewest aligned blocks that cover it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def port_blocks(lo, hi):
    """[(value, mask)] of 16-bit aligned blocks covering exactly lo..hi (like a CIDR split)."""
    out = []
    while lo <= hi:
        size = lo & -lo if lo else 1 << 16
        while size > hi - lo + 1:
            size >>= 1
        out.append((lo, 0xffff & ~(size - 1)))
        lo += size
    return out
