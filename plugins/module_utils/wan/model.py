# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The multi-WAN model: validated, normalised intent for WAN links, tunnels, route policies, split DNS.

``build(params)`` returns a ``WanSite`` or raises ``ValidationError`` naming the field path. Nothing
here touches the system: the whole input is checked before anything on the box changes.

Marks (low byte of the packet and conntrack mark, mask ``MARK_MASK``):
  0x01..0x3f  WAN i (i + 1), routed by table ``wan.table``
  0x40 + j    tunnel j, fallback: its table, then on to the main table when it has no route
  0x80 + j    tunnel j, fail closed: its table, then a blackhole rule
  0xfe        blackhole (a fail-closed policy whose WAN is down)
Policy classes use the second byte (``CLASS_MASK``) only while a new connection is classified.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import hosts as inv_hosts
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inv_zones

NAME_RE = f.NAME_RE
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$")
MODES = ("failover", "balance")
PROBE_TYPES = ("icmp", "tcp", "http", "dns")
ON_FAILURE = ("fallback", "fail_closed")

MARK_MASK = 0xff
CLASS_MASK = 0xff00
BLACKHOLE_MARK = 0xfe
TUNNEL_FALLBACK_BASE = 0x40
TUNNEL_CLOSED_BASE = 0x80
MAX_WANS = 63
MAX_TUNNELS = 63
MAX_POLICIES = 254
# Routing tables the kernel or other software already own: never ours.
RESERVED_TABLES = {0: "unspec", 220: "strongSwan", 253: "default", 254: "main", 255: "local"}

# Rule preferences (all ours lie in RULE_PREF_MIN..RULE_PREF_MAX; strongSwan uses 220).
RULE_PREF_MIN = 1000
RULE_PREF_MAX = 1299
PREF_SUPPRESS = 1000
PREF_WAN = 1001
PREF_TUNNEL_FALLBACK = 1100
PREF_TUNNEL_CLOSED = 1170
PREF_TUNNEL_CLOSED_BLACKHOLE = 1240
PREF_BLACKHOLE = 1299

# One probe every interval_ms (round-robin over the targets), every confirm_ms after a miss: at most
# 10 probes/s per WAN. Down after `down` misses in a row sent over down_window_ms (a shorter loss
# burst never takes a WAN down); the wait per probe adapts to its round trip, at most timeout_ms.
HEALTH_DEFAULTS = {
    "interval_ms": 200,
    "confirm_ms": 100,
    "timeout_ms": 300,
    "down": 3,
    "down_window_ms": 400,
    "up": 5,
    "hold_down_s": 10,
    "quorum": 1,
}


class Probe(object):
    def __init__(self, kind, target, port=None, url=None, query=None):
        self.kind, self.target, self.port, self.url, self.query = kind, target, port, url, query

    def as_dict(self):
        d = {"type": self.kind, "target": str(self.target)}
        if self.port is not None:
            d["port"] = self.port
        if self.url is not None:
            d["url"] = self.url
        if self.query is not None:
            d["query"] = self.query
        return d


class Wan(object):
    def __init__(self, index, name, interface, addresses, gateway, dhcp, weight, priority, table, dns,
                 probes, health):
        self.index, self.name, self.interface = index, name, interface
        self.addresses, self.gateway, self.dhcp = addresses, gateway, dhcp
        self.weight, self.priority, self.table, self.dns = weight, priority, table, dns
        self.probes, self.health = probes, health

    @property
    def mark(self):
        return self.index + 1


class Tunnel(object):
    def __init__(self, index, name, interface, table, gateway):
        self.index, self.name, self.interface, self.table, self.gateway = index, name, interface, table, gateway

    @property
    def fallback_mark(self):
        return TUNNEL_FALLBACK_BASE + self.index

    @property
    def closed_mark(self):
        return TUNNEL_CLOSED_BASE + self.index


class Zone(object):
    def __init__(self, name, role, ifnames, addresses, reachable=None):
        self.name, self.role, self.ifnames, self.addresses = name, role, ifnames, addresses
        self.reachable = reachable if reachable is not None else self.networks  # own + routed networks

    @property
    def networks(self):
        return [a.network for a in self.addresses]


class Host(object):
    def __init__(self, name, zone, addresses):
        self.name, self.zone, self.addresses = name, zone, addresses


class Source(object):
    """Where a policy's traffic comes from: interfaces (a zone) or networks (a host, a CIDR)."""

    def __init__(self, ifnames=None, networks=None):
        self.ifnames, self.networks = ifnames or [], networks or []


class RoutePolicy(object):
    def __init__(self, index, name, sources, destinations, proto, ports, via_kind, via, on_failure):
        self.index, self.name, self.sources, self.destinations = index, name, sources, destinations
        self.proto, self.ports, self.via_kind, self.via, self.on_failure = proto, ports, via_kind, via, on_failure

    @property
    def class_mark(self):
        return (self.index + 1) << 8


class DnsView(object):
    """One split-DNS rule: domains from some zones/hosts forwarded to given resolvers."""

    def __init__(self, name, zones, hosts, domains, servers, rebind_ok):
        self.name, self.zones, self.hosts, self.domains = name, zones, hosts, domains
        self.servers, self.rebind_ok = servers, rebind_ok


class WanSite(object):
    def __init__(self, mode, wans, tunnels, zones, hosts, policies, dns_views, rebind_protection):
        self.mode, self.wans, self.tunnels, self.zones, self.hosts = mode, wans, tunnels, zones, hosts
        self.policies, self.dns_views, self.rebind_protection = policies, dns_views, rebind_protection
        self.rebind_ok_domains = []

    def wan(self, name):
        return next(w for w in self.wans if w.name == name)

    def tunnel(self, name):
        return next(t for t in self.tunnels if t.name == name)

    def zone(self, name):
        return next(z for z in self.zones if z.name == name)

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)


# -- field helpers: the ones every azb model shares ------------------------------------------------

_get = f.get
_need = f.need
_name = f.name
_ifname = f.ifname
_ip = f.ip
_iface_addr = f.iface_addr
_network = f.network
_int = f.integer
_port_range = f.port_range
_list = f.list_of
_unique = f.unique


def build(params):
    mode = params.get("mode") or "failover"
    if mode not in MODES:
        raise ValidationError("mode", "%r is not one of %s" % (mode, ", ".join(MODES)))
    zones = _zones(params.get("zones") or [])
    hosts = _hosts(params.get("hosts") or [], zones)
    wans = _wans(params.get("wans") or [], zones, mode)
    tunnels = _tunnels(params.get("tunnels") or [], wans)
    policies = _policies(params.get("policies") or [], wans, tunnels, zones, hosts)
    views = _dns_views(params.get("split_dns") or [], zones, hosts)
    if views and not any(w.dns for w in wans):
        raise ValidationError("split_dns", "the names not forwarded go to the WANs' resolvers, and no"
                                           " WAN declares dns")
    rebind = params.get("rebind_protection", True)
    rebind_ok = []
    for j, d in enumerate(params.get("rebind_ok_domains") or []):
        d = str(d).strip(".").lower()
        if not DOMAIN_RE.match(d):
            raise ValidationError("rebind_ok_domains[%d]" % j, "%r is not a domain name" % (d,))
        rebind_ok.append(d)
    site = WanSite(mode, wans, tunnels, zones, hosts, policies, views, bool(rebind))
    site.rebind_ok_domains = rebind_ok
    return site


def _zones(raw):
    """The zones of the box (the zones role's azb_zones), for names and networks only, read by the
    shared inventory model."""
    zones = []
    for iz in inv_zones.parse(raw, "zones"):
        if iz.raw.get("gateway"):
            raise ValidationError("zones[%d].gateway" % iz.index, "azb_wan_policy owns every WAN route: leave"
                                  " the wan zone's gateway out (a second default route would bypass failover)")
        zones.append(Zone(iz.name, iz.role, iz.ifnames, iz.addresses, iz.reachable))
    return zones


def _hosts(raw, zones):
    reach = dict((z.name, z.reachable) for z in zones)
    return [Host(h.name, h.zone, h.addresses) for h in inv_hosts.parse(raw, reach, "hosts")]


def _inside_zone(ip, zones):
    for z in zones:
        if z.role == "wan":
            continue
        for n in z.networks:
            if ip.version == n.version and ip in n:
                return z
    return None


def _health(raw, path, zones):
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError(path, "must be a dictionary")
    h = dict(HEALTH_DEFAULTS)
    limits = {"interval_ms": (50, 60000), "confirm_ms": (50, 60000), "timeout_ms": (10, 60000),
              "down": (1, 100), "down_window_ms": (0, 600000), "up": (1, 100), "hold_down_s": (0, 3600),
              "quorum": (1, 100)}
    for key, (lo, hi) in limits.items():
        if raw.get(key) is not None:
            h[key] = _int(raw[key], "%s.%s" % (path, key), lo, hi)
    if h["confirm_ms"] > h["interval_ms"]:
        raise ValidationError(path + ".confirm_ms", "%d ms is longer than the interval (%d ms): the probes"
                              " that confirm a miss go out faster, not slower" % (h["confirm_ms"], h["interval_ms"]))
    probes = []
    for j, t in enumerate(_list(raw, "targets", path)):
        ip = _ip(t, "%s.targets[%d]" % (path, j))
        probes.append(("%s.targets[%d]" % (path, j), Probe("icmp", ip)))
    for j, p in enumerate(_list(raw, "probes", path)):
        pp = "%s.probes[%d]" % (path, j)
        if not isinstance(p, dict):
            raise ValidationError(pp, "must be a dictionary")
        kind = f.one_of(p.get("type", "icmp"), PROBE_TYPES, pp + ".type")
        if kind == "http":
            url = _need(p, "url", pp)
            m = re.match(r"^http://(\[[0-9a-fA-F:]+\]|[0-9.]+)(?::(\d+))?(/.*)?$", str(url))
            if not m:
                raise ValidationError(pp + ".url", "%r is not http://IP[:port]/path (probes do not depend on"
                                      " DNS)" % (url,))
            target = _ip(m.group(1).strip("[]"), pp + ".url")
            port = _int(m.group(2), pp + ".url", 1, 65535) if m.group(2) else 80
            probes.append((pp + ".url", Probe("http", target, port=port, url=m.group(3) or "/")))
        elif kind == "tcp":
            target = _ip(_need(p, "target", pp), pp + ".target")
            port = _int(_need(p, "port", pp), pp + ".port", 1, 65535)
            probes.append((pp + ".target", Probe("tcp", target, port=port)))
        elif kind == "dns":
            target = _ip(_need(p, "target", pp), pp + ".target")
            query = p.get("query") or "."
            if query != "." and not DOMAIN_RE.match(str(query)):
                raise ValidationError(pp + ".query", "%r is not a domain name" % (query,))
            probes.append((pp + ".target", Probe("dns", target, port=53, query=query)))
        else:
            probes.append((pp + ".target", Probe("icmp", _ip(_need(p, "target", pp), pp + ".target"))))
    if not probes:
        raise ValidationError(path + ".targets", "a WAN needs at least one health target or probe")
    for ppath, probe in probes:
        z = _inside_zone(probe.target, zones)
        if z is not None:
            raise ValidationError(ppath, "%s is inside zone %s: a probe must test the path out of the WAN"
                                  % (probe.target, z.name))
    if h["quorum"] > len(probes):
        raise ValidationError(path + ".quorum", "quorum %d is more than the %d probes" % (h["quorum"], len(probes)))
    return [p for _pp, p in probes], h


def _wans(raw, zones, mode):
    if not isinstance(raw, list) or not raw:
        raise ValidationError("wans", "at least one WAN is required")
    wans = []
    for i, w, path in f.entries(raw, "wans", MAX_WANS, "WANs"):
        name = _name(_need(w, "name", path), path + ".name")
        iface = _ifname(_need(w, "interface", path), path + ".interface")
        addrs = [_iface_addr(a, "%s.address[%d]" % (path, j)) for j, a in enumerate(_list(w, "address", path))]
        dhcp = bool(w.get("dhcp", False))
        gateway = w.get("gateway")
        if dhcp:
            if gateway is not None:
                raise ValidationError(path + ".gateway", "a DHCP WAN learns its gateway from the lease")
        else:
            if gateway in (None, ""):
                raise ValidationError(path + ".gateway", "is required (or dhcp: true)")
            gateway = _ip(gateway, path + ".gateway")
            if addrs and not any(gateway in a.network for a in addrs if a.version == gateway.version):
                raise ValidationError(path + ".gateway", "%s is in none of the WAN's networks (%s)"
                                      % (gateway, ", ".join(str(a.network) for a in addrs)))
        weight = _int(_get(w, "weight", 1), path + ".weight", 0, 1000)
        priority = _int(_get(w, "priority", 10 * (i + 1)), path + ".priority", 0, 1000000)
        table = _int(_get(w, "table", 100 + i + 1), path + ".table", 1, 2 ** 31 - 1)
        if table in RESERVED_TABLES:
            raise ValidationError(path + ".table", "table %d is reserved (%s)" % (table, RESERVED_TABLES[table]))
        dns = [_ip(d, "%s.dns[%d]" % (path, j)) for j, d in enumerate(_list(w, "dns", path))]
        for j, d in enumerate(dns):
            z = _inside_zone(d, zones)
            if z is not None:
                raise ValidationError("%s.dns[%d]" % (path, j), "%s is inside zone %s, not on the WAN side"
                                      % (d, z.name))
        probes, health = _health(w.get("health"), path + ".health", zones)
        wans.append(Wan(i, name, iface, addrs, gateway, dhcp, weight, priority, table, dns, probes, health))
    _unique(wans, lambda w: w.name, "wans", "WAN name")
    _unique(wans, lambda w: w.interface, "wans", "interface")
    _unique(wans, lambda w: w.table, "wans", "table id")
    if not any(w.weight for w in wans):
        raise ValidationError("wans", "all weights are zero: no WAN would carry traffic")
    zone_names = set(z.name for z in zones)
    for i, w in enumerate(wans):
        if w.name in zone_names and not any(z.name == w.name and z.role == "wan" for z in zones):
            raise ValidationError("wans[%d].name" % i, "%r is the name of a zone that is not a wan zone" % w.name)
    return wans


def _tunnels(raw, wans):
    tunnels = []
    tables = dict((w.table, "wans[%d]" % w.index) for w in wans)
    names = dict((w.name, "wans[%d]" % w.index) for w in wans)
    for i, t, path in f.entries(raw, "tunnels", MAX_TUNNELS, "tunnels"):
        name = _name(_need(t, "name", path), path + ".name")
        if name in names:
            raise ValidationError(path + ".name", "%r is already %s" % (name, names[name]))
        names[name] = path
        iface = _ifname(_need(t, "interface", path), path + ".interface")
        table = _int(_need(t, "table", path), path + ".table", 1, 2 ** 31 - 1)
        if table in RESERVED_TABLES:
            raise ValidationError(path + ".table", "table %d is reserved (%s)" % (table, RESERVED_TABLES[table]))
        if table in tables:
            raise ValidationError(path + ".table", "duplicate table id %d (also %s)" % (table, tables[table]))
        tables[table] = path
        gateway = t.get("gateway")
        if gateway is not None:
            gateway = _ip(gateway, path + ".gateway")
        tunnels.append(Tunnel(i, name, iface, table, gateway))
    _unique(tunnels, lambda t: t.interface, "tunnels", "interface")
    return tunnels


def _source(ref, path, zones, hosts):
    zmap = dict((z.name, z) for z in zones)
    hmap = dict((h.name, h) for h in hosts)
    if isinstance(ref, str) and ref in zmap:
        z = zmap[ref]
        if not z.ifnames:
            raise ValidationError(path, "zone %s has no interface to match on" % ref)
        return Source(ifnames=list(z.ifnames))
    if isinstance(ref, str) and ref in hmap:
        return Source(networks=[ipaddress.ip_network(a) for a in hmap[ref].addresses])
    if isinstance(ref, str) and NAME_RE.match(ref) and ref != "any":
        raise ValidationError(path, "unknown zone or host %r" % ref)
    if ref == "any":
        return Source(networks=[ipaddress.ip_network("0.0.0.0/0")])
    return Source(networks=[_network(ref, path)])


def _policies(raw, wans, tunnels, zones, hosts):
    wan_names = dict((w.name, w) for w in wans)
    tun_names = dict((t.name, t) for t in tunnels)
    out = []
    for i, p, path in f.entries(raw, "policies", MAX_POLICIES, "route policies"):
        name = _name(_need(p, "name", path), path + ".name")
        srcs = [_source(r, "%s.from[%d]" % (path, j), zones, hosts) for j, r in enumerate(_list(p, "from", path))]
        dsts = [_network(d, "%s.to[%d]" % (path, j)) for j, d in enumerate(_list(p, "to", path))]
        if not srcs and not dsts:
            raise ValidationError(path, "needs from or to (a policy for everything is the WAN mode)")
        for j, d in enumerate(dsts):
            if d.version != 4:
                raise ValidationError("%s.to[%d]" % (path, j), "IPv6 policy routing is not supported yet")
        for j, s in enumerate(srcs):
            if any(n.version != 4 for n in s.networks):
                raise ValidationError("%s.from[%d]" % (path, j), "IPv6 policy routing is not supported yet")
        proto = p.get("proto") or "any"
        if proto not in ("tcp", "udp", "any"):
            raise ValidationError(path + ".proto", "%r is not one of tcp, udp, any" % (proto,))
        ports = [_port_range(v, "%s.ports[%d]" % (path, j)) for j, v in enumerate(_list(p, "ports", path))]
        if ports and proto == "any":
            raise ValidationError(path + ".ports", "ports need proto tcp or udp")
        via = _need(p, "via", path)
        if via in wan_names:
            kind = "wan"
        elif via in tun_names:
            kind = "tunnel"
        else:
            raise ValidationError(path + ".via", "unknown WAN or tunnel %r (WANs: %s; tunnels: %s)"
                                  % (via, ", ".join(sorted(wan_names)) or "none",
                                     ", ".join(sorted(tun_names)) or "none"))
        on_failure = f.one_of(p.get("on_failure") or "fallback", ON_FAILURE, path + ".on_failure")
        out.append(RoutePolicy(i, name, srcs, dsts, proto, ports, kind, via, on_failure))
    _unique(out, lambda x: x.name, "policies", "policy name")
    return out


def _dns_views(raw, zones, hosts):
    zmap = dict((z.name, z) for z in zones)
    hmap = dict((h.name, h) for h in hosts)
    out = []
    for i, v, path in f.entries(raw, "split_dns"):
        name = _name(_need(v, "name", path), path + ".name")
        vz, vh = [], []
        for j, ref in enumerate(_list(v, "from", path)):
            if ref in zmap:
                z = zmap[ref]
                if z.role == "wan":
                    raise ValidationError("%s.from[%d]" % (path, j), "zone %s is a wan zone: the box answers"
                                          " DNS only inside" % ref)
                if not any(a.version == 4 for a in z.addresses):
                    raise ValidationError("%s.from[%d]" % (path, j), "zone %s has no IPv4 address for the"
                                          " resolver to listen on" % ref)
                vz.append(ref)
            elif ref in hmap:
                raise ValidationError("%s.from[%d]" % (path, j), "host %r: per-host DNS views are not"
                                      " supported yet; name its zone" % (ref,))
            else:
                raise ValidationError("%s.from[%d]" % (path, j), "unknown zone or host %r" % (ref,))
        if not vz and not vh:
            raise ValidationError(path + ".from", "is required (zones or hosts)")
        domains = []
        for j, d in enumerate(_list(v, "domains", path)):
            d = str(d).strip(".").lower()
            if not DOMAIN_RE.match(d):
                raise ValidationError("%s.domains[%d]" % (path, j), "%r is not a domain name" % (d,))
            domains.append(d)
        if not domains:
            raise ValidationError(path + ".domains", "is required")
        servers = [_ip(s, "%s.servers[%d]" % (path, j)) for j, s in enumerate(_list(v, "servers", path))]
        if not servers:
            raise ValidationError(path + ".servers", "is required")
        out.append(DnsView(name, vz, vh, domains, servers, bool(v.get("rebind_ok", True))))
    _unique(out, lambda x: x.name, "split_dns", "split DNS name")
    return out
