# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory says the zone matrix is: for each probe (from a zone to a zone, TCP to one
port), allowed or refused. Pure: the same zone model the firewall is compiled from, evaluated the
way the ruleset is (declared policies first, drops before accepts, then the role matrix).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.zones.model import DEFAULT_REACH


class Probe(object):
    """One cell: a TCP connection from a throwaway host in zone src to one in zone dst."""

    def __init__(self, src, dst, src_addr, dst_addr, proto, port):
        self.src, self.dst, self.src_addr, self.dst_addr = src, dst, src_addr, dst_addr
        self.proto, self.port = proto, port

    @property
    def key(self):
        return "%s->%s" % (self.src, self.dst)


def probe_address(zone, offset=2):
    """The probe host's address in a zone: OFFSET before the end of its first IPv4 subnet."""
    for a in zone.addresses:
        if a.version == 4 and a.network.num_addresses > offset + 2:
            host = a.network.broadcast_address - offset
            if host != a.ip:
                return a, host
    return None, None


def probe_zones(site):
    """Zones a throwaway host can be plugged into: a bridge and an IPv4 subnet."""
    return [z for z in site.zones if z.bridge and probe_address(z)[0] is not None]


def _covers(nets, addr):
    return any(addr.version == n.version and addr in n for n in nets)


def _policy_matches(p, probe):
    if p.to_self:
        return False
    if not (_covers(p.src, probe.src_addr) and _covers(p.dst, probe.dst_addr)):
        return False
    if p.proto == "any":
        return True
    if p.proto != probe.proto:
        return False
    return any(lo <= probe.port <= hi for lo, hi in p.ports)


def verdict(site, probe):
    """(allowed, why) for one probe under the declared site."""
    matching = [p for p in site.policies if _policy_matches(p, probe)]
    for action in ("drop", "accept"):
        for p in matching:
            if p.action == action:
                return action == "accept", "policy %s" % p.name
    zones = dict((z.name, z) for z in site.zones)
    src, dst = zones[probe.src], zones[probe.dst]
    allowed = dst.role in DEFAULT_REACH[src.role]
    return allowed, "%s -> %s default (%s)" % (src.role, dst.role, "open" if allowed else "closed")


def probes(site, proto="tcp", port=9):
    """Every ordered pair of probe zones; a wan zone is only ever a source (outside looking in)."""
    zs = probe_zones(site)
    out = []
    for src in zs:
        for dst in zs:
            if src is dst or dst.role == "wan":
                continue
            out.append(Probe(src.name, dst.name, probe_address(src)[1], probe_address(dst)[1], proto, port))
    return out


def expected(site, proto="tcp", port=9):
    cells = []
    ports = port if isinstance(port, (list, tuple)) else [port]
    for p in [pr for one in ports for pr in probes(site, proto, one)]:
        allowed, why = verdict(site, p)
        cells.append({"from": p.src, "to": p.dst, "src": str(p.src_addr), "dst": str(p.dst_addr),
                      "proto": proto, "port": p.port, "expected": "allowed" if allowed else "refused", "why": why})
    return cells


def compare(cells, observed):
    """Cells with what was observed and whether it matches; observed: {"src->dst:port": True/False}."""
    out = []
    for c in cells:
        seen = observed.get("%s->%s:%s" % (c["from"], c["to"], c["port"]))
        c = dict(c)
        c["observed"] = "not probed" if seen is None else ("allowed" if seen else "refused")
        c["ok"] = c["observed"] == c["expected"]
        out.append(c)
    return out
