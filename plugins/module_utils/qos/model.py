# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The QoS model: validated, normalised intent for shaping WAN links by class.

``build(params)`` returns a ``QosSite`` or raises ``ValidationError`` naming the field path; nothing
here touches the system, so the whole input is checked before anything on the box changes.

Per link and direction: one HTB root class at the link's rate, one child per traffic class with a
guaranteed rate, a ceiling and a priority. Egress packets are classified by nftables (zone, host,
CIDR, protocol, port, DSCP) which sets ``meta priority`` to the class id, so HTB needs no filter;
ingress packets are redirected to an IFB device before netfilter sees them and are classified there
by u32 on what the wire carries (remote CIDR, protocol, remote port, DSCP).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.qos import rates
from ansible_collections.azblink.nfv.plugins.module_utils.qos.u32 import port_blocks

PROTOS = ("tcp", "udp", "icmp", "any")
LEAVES = ("auto", "fq_codel", "sfq", "fifo")
MAX_CLASSES = 8          # HTB priorities 0..7, one class each at most is plenty for an edge box
MAX_RULES = 200
MAX_U32_FILTERS_PER_RULE = 64
CLASS_MINOR_BASE = 0x10  # class i is 1:(0x10 + i); 1:1 is the link

# DSCP names nft and people use -> code point.
DSCP = {"cs0": 0, "cs1": 8, "af11": 10, "af12": 12, "af13": 14, "cs2": 16, "af21": 18, "af22": 20,
        "af23": 22, "cs3": 24, "af31": 26, "af32": 28, "af33": 30, "cs4": 32, "af41": 34, "af42": 36,
        "af43": 38, "cs5": 40, "va": 44, "ef": 46, "cs6": 48, "cs7": 56, "be": 0}

DEFAULT_CLASSES = [
    {"name": "realtime", "priority": 0, "rate": "10%", "ceil": "30%", "dscp": "ef"},
    {"name": "interactive", "priority": 1, "rate": "30%", "ceil": "100%", "dscp": "af41"},
    {"name": "default", "priority": 2, "rate": "30%", "ceil": "100%"},
    {"name": "bulk", "priority": 3, "rate": "20%", "ceil": "100%", "dscp": "cs1"},
]


class Link(object):
    def __init__(self, index, name, interface, egress_bps, ingress_bps):
        self.index, self.name, self.interface = index, name, interface
        self.egress_bps, self.ingress_bps = egress_bps, ingress_bps

    @property
    def ifb(self):
        """The IFB device that carries this link's ingress (15 characters at most)."""
        return ("azbi-" + self.interface)[:15]


class TrafficClass(object):
    def __init__(self, index, name, priority, rate, ceil, dscp, limit_ms):
        self.index, self.name, self.priority = index, name, priority
        self.rate, self.ceil, self.dscp, self.limit_ms = rate, ceil, dscp, limit_ms

    @property
    def minor(self):
        return CLASS_MINOR_BASE + self.index

    @property
    def classid(self):
        return "1:%x" % self.minor


class Rule(object):
    """A classifier: every given field must match (lists: any of them). First rule that matches wins."""

    def __init__(self, index, name, cls, ifnames, sources, destinations, proto, ports, dscp):
        self.index, self.name, self.cls = index, name, cls
        self.ifnames, self.sources, self.destinations = ifnames, sources, destinations
        self.proto, self.ports, self.dscp = proto, ports, dscp

    @property
    def local_side(self):
        """Matches on the inside (zone, host, internal CIDR): the ingress side cannot see them."""
        return bool(self.ifnames or self.sources)


class QosSite(object):
    def __init__(self, links, classes, default_class, rules, leaf):
        self.links, self.classes, self.default_class = links, classes, default_class
        self.rules, self.leaf = rules, leaf

    def cls(self, name):
        return next(c for c in self.classes if c.name == name)


def dscp_value(value, path):
    if isinstance(value, bool):
        raise ValidationError(path, "%r is not a DSCP value" % (value,))
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return f.integer(value, path, 0, 63)
    if isinstance(value, str) and value.lower() in DSCP:
        return DSCP[value.lower()]
    raise ValidationError(path, "%r is not a DSCP name (%s) or 0-63" % (value, ", ".join(sorted(DSCP))))


def build(params):
    leaf = params.get("leaf_qdisc") or "auto"
    if leaf not in LEAVES:
        raise ValidationError("leaf_qdisc", "%r is not one of %s" % (leaf, ", ".join(LEAVES)))
    links = _links(params.get("links"))
    classes = _classes(params.get("classes") or DEFAULT_CLASSES, links)
    names = [c.name for c in classes]
    default = f.get(params, "default_class", "default")
    if default not in names:
        raise ValidationError("default_class", "unknown class %r (classes: %s)" % (default, ", ".join(names)))
    zones = _zones(params.get("zones") or [])
    hosts = _hosts(params.get("hosts") or [], zones)
    rules = _rules(params.get("rules") or [], names, zones, hosts)
    return QosSite(links, classes, default, rules, leaf)


def _links(raw):
    if not isinstance(raw, list) or not raw:
        raise ValidationError("links", "at least one link (a WAN interface and its rate) is required")
    links = []
    for i, l, path in f.entries(raw, "links"):
        name = f.name(f.need(l, "name", path), path + ".name")
        iface = f.ifname(f.need(l, "interface", path), path + ".interface")
        egress = rates.absolute(f.need(l, "egress", path), path + ".egress")
        ingress = None
        if l.get("ingress") not in (None, ""):
            ingress = rates.absolute(l["ingress"], path + ".ingress")
        links.append(Link(i, name, iface, egress, ingress))
    f.unique(links, lambda x: x.name, "links", "link name")
    f.unique(links, lambda x: x.interface, "links", "interface")
    f.unique(links, lambda x: x.ifb, "links", "IFB device name (interface names too alike)")
    return links


def _classes(raw, links):
    if not isinstance(raw, list):
        raise ValidationError("classes", "must be a list")
    out = []
    for i, c, path in f.entries(raw, "classes", MAX_CLASSES, "classes"):
        name = f.name(f.need(c, "name", path), path + ".name")
        prio = f.integer(f.get(c, "priority", 7), path + ".priority", 0, 7)
        rate = rates.relative(f.need(c, "rate", path), path + ".rate")
        ceil = rates.relative(f.get(c, "ceil", "100%"), path + ".ceil")
        dscp = None
        if c.get("dscp") not in (None, ""):
            dscp = dscp_value(c["dscp"], path + ".dscp")
        limit_ms = f.integer(f.get(c, "limit_ms", 50), path + ".limit_ms", 1, 1000)
        out.append(TrafficClass(i, name, prio, rate, ceil, dscp, limit_ms))
    f.unique(out, lambda x: x.name, "classes", "class name")
    if not out:
        raise ValidationError("classes", "at least one class is required")
    for link in links:
        for direction, bps in (("egress", link.egress_bps), ("ingress", link.ingress_bps)):
            if bps is None:
                continue
            total = 0
            for c in out:
                rate, ceil = rates.resolve(c.rate, bps), rates.resolve(c.ceil, bps)
                where = "classes[%d]" % c.index
                if ceil > bps:
                    raise ValidationError(where + ".ceil", "%s is above the %s rate of link %s (%s)"
                                          % (rates.human(ceil), direction, link.name, rates.human(bps)))
                if rate > bps:
                    raise ValidationError(where + ".rate", "%s is above the %s rate of link %s (%s)"
                                          % (rates.human(rate), direction, link.name, rates.human(bps)))
                if rate > ceil:
                    raise ValidationError(where + ".rate", "the guaranteed rate %s is above the ceiling %s"
                                          % (rates.human(rate), rates.human(ceil)))
                if rate < rates.MIN_BPS:
                    raise ValidationError(where + ".rate", "%s of link %s is below 8kbit"
                                          % (rates.human(rate), link.name))
                total += rate
            if total > bps:
                raise ValidationError("classes", "the guaranteed rates add up to %s, above the %s rate of"
                                      " link %s (%s)" % (rates.human(total), direction, link.name,
                                                         rates.human(bps)))
    return out


def _zones(raw):
    zones = {}
    for _i, z, path in f.entries(raw, "zones"):
        name = f.name(f.need(z, "name", path), path + ".name")
        ifnames = [z["bridge"]] if z.get("bridge") else list(f.list_of(z, "interfaces", path))
        zones[name] = ifnames
    return zones


def _hosts(raw, zones):
    hosts = {}
    for _i, h, path in f.entries(raw, "hosts"):
        name = f.name(f.need(h, "name", path), path + ".name")
        zone = f.need(h, "zone", path)
        if zone not in zones:
            raise ValidationError(path + ".zone", "unknown zone %r" % (zone,))
        hosts[name] = [f.ip(str(a).split("/", 1)[0], "%s.address[%d]" % (path, j))
                       for j, a in enumerate(f.list_of(h, "address", path))]
    return hosts


def _rules(raw, class_names, zones, hosts):
    out = []
    for i, r, path in f.entries(raw, "rules", MAX_RULES, "rules"):
        name = f.name(f.need(r, "name", path), path + ".name")
        cls = f.need(r, "class", path)
        if cls not in class_names:
            raise ValidationError(path + ".class", "unknown class %r (classes: %s)"
                                  % (cls, ", ".join(class_names)))
        ifnames, sources = [], []
        for j, ref in enumerate(f.list_of(r, "from", path)):
            p = "%s.from[%d]" % (path, j)
            if isinstance(ref, str) and ref in zones:
                if not zones[ref]:
                    raise ValidationError(p, "zone %s has no interface to match on" % ref)
                ifnames.extend(zones[ref])
            elif isinstance(ref, str) and ref in hosts:
                sources.extend(ipaddress.ip_network(a) for a in hosts[ref])
            elif isinstance(ref, str) and f.NAME_RE.match(ref):
                raise ValidationError(p, "unknown zone or host %r" % ref)
            else:
                sources.append(f.network(ref, p))
        dests = [f.network(d, "%s.to[%d]" % (path, j)) for j, d in enumerate(f.list_of(r, "to", path))]
        proto, ports = f.proto_ports(r, path, PROTOS)
        dscp = [dscp_value(v, "%s.dscp[%d]" % (path, j)) for j, v in enumerate(f.list_of(r, "dscp", path))]
        if not (ifnames or sources or dests or proto != "any" or dscp):
            raise ValidationError(path, "matches everything: name from, to, proto, ports or dscp"
                                        " (unmatched traffic goes to default_class)")
        rule = Rule(i, name, cls, ifnames, sources, dests, proto, ports, dscp)
        n = max(1, len(dests)) * max(1, sum(len(port_blocks(*p)) for p in ports)) * max(1, len(dscp))
        if not rule.local_side and n > MAX_U32_FILTERS_PER_RULE:
            raise ValidationError(path, "needs %d u32 filters on ingress (at most %d): split it"
                                  % (n, MAX_U32_FILTERS_PER_RULE))
        out.append(rule)
    f.unique(out, lambda x: x.name, "rules", "rule name")
    return out
