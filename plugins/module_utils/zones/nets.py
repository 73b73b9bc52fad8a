# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy endpoints as light networks: an IP version, the network's integer and its prefix length.

A policy list can name 100,000 sources. ``ipaddress.ip_network`` costs about 20 us a string here
(and netaddr's ``IPNetwork`` as much, see bench/README.md), more than nft takes to load the element;
a dotted quad parsed by hand and kept as integers costs a tenth of that. Anything that is not a
plain IPv4 address or CIDR (IPv6, odd spellings) goes through ``ipaddress``, which also words the
refusals. ``Net`` offers what the renderer and the evidence module use of ``ipaddress`` networks
(``version``, ``prefixlen``, ``subnet_of``, ``overlaps``, ``in``, ``str``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

_BITS = {4: 32, 6: 128}
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_QUAD_RE = re.compile(r"\.".join([_OCTET] * 4) + r"(?:/(3[0-2]|[12]?[0-9]))?\Z")


class Net(object):
    __slots__ = ("version", "value", "prefixlen", "_text")

    def __init__(self, version, value, prefixlen, text=None):
        self.version, self.value, self.prefixlen, self._text = version, value, prefixlen, text

    @classmethod
    def of(cls, network):
        """From an ``ipaddress`` network (or a Net)."""
        if isinstance(network, Net):
            return network
        return cls(network.version, int(network.network_address), network.prefixlen)

    @property
    def max_prefixlen(self):
        return _BITS[self.version]

    @property
    def network_address(self):
        return ipaddress.ip_address(self.value) if self.version == 4 else ipaddress.IPv6Address(self.value)

    def _mask_of(self, prefixlen):
        bits = _BITS[self.version]
        return ((1 << prefixlen) - 1) << (bits - prefixlen)

    def subnet_of(self, other):
        other = Net.of(other)
        return (self.version == other.version and other.prefixlen <= self.prefixlen
                and self.value & other._mask_of(other.prefixlen) == other.value)

    def overlaps(self, other):
        other = Net.of(other)
        return self.version == other.version and (self.subnet_of(other) or other.subnet_of(self))

    def __contains__(self, addr):
        if getattr(addr, "version", None) != self.version:
            return False
        return int(addr) & self._mask_of(self.prefixlen) == self.value

    def __str__(self):
        if self._text is None:
            self._text = "%s/%d" % (self.network_address, self.prefixlen)
        return self._text

    __repr__ = __str__

    def __eq__(self, other):
        if not isinstance(other, Net):
            if not isinstance(other, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                return NotImplemented
            other = Net.of(other)
        return (self.version, self.value, self.prefixlen) == (other.version, other.value, other.prefixlen)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash((self.version, self.value, self.prefixlen))

    def __lt__(self, other):
        return (self.version, self.value, self.prefixlen) < (other.version, other.value, other.prefixlen)


def _quad(text):
    """(integer, prefix length) of a plain IPv4 address or CIDR, or None for anything else (no
    signs, spaces or leading zeros: ipaddress refuses those, and words the error)."""
    m = _QUAD_RE.match(text)
    if m is None:
        return None
    a, b, c, d, plen = m.groups()
    value = int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)
    if plen is None:
        return value, 32
    prefixlen = int(plen)
    return value & (((1 << prefixlen) - 1) << (32 - prefixlen)), prefixlen


def parse(text):
    """A plain IPv4 address or CIDR (host bits dropped) -> Net; None for anything else."""
    quad = _quad(text)
    if quad is None:
        return None
    # the text str() prints: a /32 keeps its given spelling (validated: canonical) plus the length
    return Net(4, quad[0], quad[1], text + "/32" if quad[1] == 32 and "/" not in text else None)


def network(value, path):
    """An address or CIDR (host bits dropped) -> Net, or ValidationError naming ``path``."""
    if isinstance(value, str):
        quad = parse(value)
        if quad is not None:
            return quad
    try:
        return Net.of(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        raise ValidationError(path, "%r is not a valid address or CIDR" % (value,))
