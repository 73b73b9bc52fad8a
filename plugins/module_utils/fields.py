# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Field validators shared by the azb models: each returns the parsed value or raises
``ValidationError`` with the field path it was given."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def need(d, key, path):
    if d.get(key) in (None, "", []):
        raise ValidationError("%s.%s" % (path, key), "is required")
    return d[key]


def name(value, path):
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValidationError(path, "%r is not a valid name (lower case letter, then letters, digits,"
                                    " '-' or '_', at most 31)" % (value,))
    return value


def ifname(value, path):
    if not isinstance(value, str) or not IFNAME_RE.match(value):
        raise ValidationError(path, "%r is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)"
                              % (value,))
    return value


def iface_addr(value, path):
    try:
        return ipaddress.ip_interface(str(value))
    except ValueError:
        raise ValidationError(path, "%r is not an address with prefix length (e.g. 10.3.0.1/24)"
                              % (value,))


def network(value, path):
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise ValidationError(path, "%r is not a valid address or CIDR" % (value,))


def ip(value, path):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise ValidationError(path, "%r is not a valid IP address" % (value,))


def port(value, path):
    if isinstance(value, bool):
        raise ValidationError(path, "%r is not a port" % (value,))
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValidationError(path, "%r is not a port number" % (value,))
    if not 1 <= port <= 65535:
        raise ValidationError(path, "port %d is out of range 1-65535" % port)
    return port


def port_range(value, path):
    """A port or 'a-b' -> (lo, hi)."""
    if isinstance(value, str) and "-" in value:
        lo, _sep, hi = value.partition("-")
        lo, hi = port(lo.strip(), path), port(hi.strip(), path)
        if lo > hi:
            raise ValidationError(path, "range %s is reversed" % value)
        return lo, hi
    p = port(value, path)
    return p, p


def list_of(d, key, path):
    value = d.get(key) or []
    if not isinstance(value, list):
        raise ValidationError("%s.%s" % (path, key), "must be a list")
    return value


def unique(items, key, path, what):
    seen = {}
    for i, item in enumerate(items):
        k = key(item)
        if k in seen:
            raise ValidationError("%s[%d]" % (path, i), "duplicate %s %r (first at %s[%d])"
                                  % (what, k, path, seen[k]))
        seen[k] = i


def get(d, key, default):
    """d[key], or default when it is missing or null."""
    value = d.get(key)
    return default if value is None else value


def integer(value, path, lo, hi):
    if isinstance(value, bool):
        raise ValidationError(path, "%r is not a number" % (value,))
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationError(path, "%r is not a number" % (value,))
    if not lo <= n <= hi:
        raise ValidationError(path, "%d is out of range %d-%d" % (n, lo, hi))
    return n


def one_of(value, choices, path):
    if value not in choices:
        raise ValidationError(path, "%r is not one of %s" % (value, ", ".join(choices)))
    return value


def entries(raw, key, most=None, what=None):
    """The entries of the list ``raw`` (the field ``key``) as (index, entry, path): more than
    ``most`` (``what`` names them) is refused at once, an entry that is not a dictionary when it is
    reached (so an earlier entry's error still comes first)."""
    if most is not None and len(raw) > most:
        raise ValidationError(key, "at most %d %s" % (most, what))
    return _dict_entries(raw, key)


def _dict_entries(raw, key):
    for i, entry in enumerate(raw):
        path = "%s[%d]" % (key, i)
        if not isinstance(entry, dict):
            raise ValidationError(path, "must be a dictionary")
        yield i, entry, path


def proto_ports(d, path, protos):
    """(proto, [(lo, hi)]) of an entry's ``proto`` (default any) and ``ports``: ports need tcp or udp."""
    proto = one_of(get(d, "proto", "any"), protos, path + ".proto")
    ports = [port_range(v, "%s.ports[%d]" % (path, j)) for j, v in enumerate(list_of(d, "ports", path))]
    if ports and proto not in ("tcp", "udp"):
        raise ValidationError(path + ".ports", "ports need proto tcp or udp")
    return proto, ports
