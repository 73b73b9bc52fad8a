# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Openings to the box itself beyond management (``inputs``): model and set elements.

An input is ``{name, from: [zone | interface | CIDR | any], proto, ports}``. Other roles declare
what they listen on (VPN ports, OSPF, VRRP, ...) through it, so the input chain opens exactly that.
Entries compile to four kinds of set elements (by interface or by source network, with or without
a port), so the input chain keeps a fixed number of rules however many openings there are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

# Protocol names accepted in ``proto`` -> IP protocol number (rendered as numbers: the names in
# /etc/protocols differ between systems; nft lists the numbers it knows by name anyway).
PROTO_NUMBERS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ospf": 89,
                 "pim": 103, "vrrp": 112}
ICMP6 = 58
ANY4 = ipaddress.ip_network("0.0.0.0/0")
ANY6 = ipaddress.ip_network("::/0")


class Input(object):
    def __init__(self, name, ifnames, networks, proto, ports):
        self.name, self.ifnames, self.networks = name, ifnames, networks
        self.proto, self.ports = proto, ports   # proto: number; ports: [(lo, hi)] for tcp/udp

    def protos(self, version):
        """IP protocol numbers of this input for a family (icmp means ICMPv6 for IPv6)."""
        if self.proto == PROTO_NUMBERS["icmp"]:
            return [1] if version == 4 else [ICMP6]
        return [self.proto]


def _proto(value, path):
    if isinstance(value, str) and value in PROTO_NUMBERS:
        return PROTO_NUMBERS[value]
    if isinstance(value, bool):
        raise ValidationError(path, "%r is not a protocol" % (value,))
    try:
        return f.integer(value, path, 0, 255)
    except ValidationError:
        raise ValidationError(path, "%r is not one of %s or a protocol number 0-255"
                              % (value, ", ".join(sorted(PROTO_NUMBERS))))


def _source(ref, path, zones_by_name):
    """-> (ifnames, networks) of one ``from`` entry: zone name, interface name, CIDR or any."""
    if ref == "any":
        return [], [ANY4, ANY6]
    if not isinstance(ref, str):
        raise ValidationError(path, "%r is not a zone, interface, CIDR or any" % (ref,))
    if ref in zones_by_name:
        return list(zones_by_name[ref].ifnames), []
    try:
        return [], [ipaddress.ip_network(ref, strict=False)]
    except ValueError:
        pass
    if "/" in ref or ref.count(".") == 3 or ":" in ref:
        raise ValidationError(path, "%r is not a valid CIDR" % ref)
    try:
        return [f.ifname(ref, path)], []
    except ValidationError:
        raise ValidationError(path, "%r is not a zone (known: %s), an interface name, a CIDR or any"
                              % (ref, ", ".join(sorted(zones_by_name))))


def build(raw, zones):
    """The ``inputs`` list -> [Input], or ValidationError naming ``inputs[i].field``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError("inputs", "must be a list")
    by_name = dict((z.name, z) for z in zones)
    out = []
    for i, item, path in f.entries(raw, "inputs"):
        name = f.name(f.need(item, "name", path), path + ".name")
        refs = item.get("from")
        refs = refs if isinstance(refs, list) else [refs] if refs not in (None, "") else []
        if not refs:
            raise ValidationError(path + ".from", "is required (zones, interfaces, CIDRs or any)")
        ifnames, networks = [], []
        for j, ref in enumerate(refs):
            ifs, nets = _source(ref, "%s.from[%d]" % (path, j), by_name)
            ifnames += ifs
            networks += nets
        proto = _proto(f.need(item, "proto", path), path + ".proto")
        ports = [f.port_range(v, "%s.ports[%d]" % (path, j)) for j, v in enumerate(f.list_of(item, "ports", path))]
        if ports and proto not in (6, 17):
            raise ValidationError(path + ".ports", "ports need proto tcp or udp")
        if proto in (6, 17) and not ports:
            raise ValidationError(path + ".ports", "proto %s needs ports" % item.get("proto"))
        out.append(Input(name, sorted(set(ifnames)), networks, proto, ports))
    f.unique(out, lambda x: x.name, "inputs", "input name")
    return out


def _port(lo, hi):
    return "%d" % lo if lo == hi else "%d-%d" % (lo, hi)


def _union(ranges):
    """Port ranges merged into disjoint, sorted ones."""
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _minus(ranges, covered):
    """Disjoint ``ranges`` without the ports of the disjoint ``covered`` ranges."""
    out = []
    for lo, hi in ranges:
        for clo, chi in covered:
            if chi < lo or clo > hi:
                continue
            if clo > lo:
                out.append((lo, clo - 1))
            lo = chi + 1
            if lo > hi:
                break
        if lo <= hi:
            out.append((lo, hi))
    return out


def _disjoint_nets(by_key):
    """{(net, proto): disjoint ranges} -> the same with every port a wider network of the same
    protocol already opens removed (the kernel refuses overlapping interval elements)."""
    out = {}
    for (net, proto), ranges in by_key.items():
        for (other, oproto), oranges in by_key.items():
            if oproto == proto and other != net and other.version == net.version and net.subnet_of(other):
                ranges = _minus(ranges, oranges)
        if ranges:
            out[(net, proto)] = ranges
    return out


def elements(inputs):
    """Set elements: {"if_port", "if_proto", "net4_port", "net4_proto", "net6_port", "net6_proto"}.

    Each is a sorted list of element strings, without overlaps (the kernel refuses them in interval
    sets): ports of one interface or network are merged, and a network inside a wider one keeps only
    the ports the wider one does not open. An interface input opens both IP families.
    """
    if_ports, if_protos, net_ports, net_protos = {}, set(), {}, set()
    for inp in inputs:
        for ifn in inp.ifnames:
            for proto in sorted(set(inp.protos(4) + inp.protos(6))):
                if inp.ports:
                    if_ports.setdefault((ifn, proto), []).extend(inp.ports)
                else:
                    if_protos.add((ifn, proto))
        for net in inp.networks:
            for proto in inp.protos(net.version):
                if inp.ports:
                    net_ports.setdefault((net, proto), []).extend(inp.ports)
                else:
                    net_protos.add((net, proto))
    net_ports = _disjoint_nets(dict((k, _union(v)) for k, v in net_ports.items()))
    net_protos = [(n, p) for n, p in net_protos
                  if not any(op == p and o != n and o.version == n.version and n.subnet_of(o)
                             for o, op in net_protos)]
    out = {"if_port": sorted('"%s" . %d . %s' % (i, p, _port(lo, hi))
                             for (i, p), rs in if_ports.items() for lo, hi in _union(rs)),
           "if_proto": sorted('"%s" . %d' % k for k in if_protos)}
    for v in (4, 6):
        out["net%d_port" % v] = sorted("%s . %d . %s" % (n, p, _port(lo, hi))
                                       for (n, p), rs in net_ports.items() if n.version == v
                                       for lo, hi in rs)
        out["net%d_proto" % v] = sorted("%s . %d" % (n, p) for n, p in net_protos if n.version == v)
    return out
