# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The edge services model: load balancers / reverse proxies (haproxy) and the forward proxy (squid).

``build(params)`` returns an ``Edge`` or raises ``ValidationError`` naming the field path. Nothing
here touches the system: the whole input is checked before anything on the box changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

MODES = ("tcp", "http")
BALANCE = ("roundrobin", "leastconn", "source")
CHECKS = ("tcp", "http")
# How the backend learns the client's address: X-Forwarded-For (http), PROXY protocol v2 (both).
CLIENT_SOURCE = ("none", "forwarded", "proxy")
DOMAIN_RE = re.compile(r"^\.?(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
                       r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$")
PATH_RE = re.compile(r"^/[A-Za-z0-9._~/%?=&+-]*$")


class Server(object):
    def __init__(self, name, address, port):
        self.name, self.address, self.port = name, address, port


class Health(object):
    def __init__(self, kind, path, interval_ms, timeout_ms, fall, rise):
        self.kind, self.path = kind, path
        self.interval_ms, self.timeout_ms, self.fall, self.rise = interval_ms, timeout_ms, fall, rise


class Balancer(object):
    def __init__(self, name, mode, bind_address, bind_port, certificate, balance, client_source, health, servers,
                 clients=None):
        self.clients = clients or []
        self.name, self.mode = name, mode
        self.bind_address, self.bind_port = bind_address, bind_port
        self.certificate, self.balance, self.client_source = certificate, balance, client_source
        self.health, self.servers = health, servers


class Proxy(object):
    def __init__(self, listen, port, allow, deny_domains, dns, allow_refs=None):
        self.allow_refs = allow_refs or []   # as declared: zone names and CIDRs (the firewall opens these)
        self.listen, self.port, self.allow = listen, port, allow
        self.deny_domains, self.dns = deny_domains, dns


class Edge(object):
    def __init__(self, balancers, proxy):
        self.balancers, self.proxy = balancers, proxy


def _bind(value, path):
    """'port', ':port', 'addr:port' -> (address or None, port)."""
    text = str(value)
    addr, sep, port = text.rpartition(":")
    if not sep:
        return None, f.port(text, path)
    if addr in ("", "*"):
        return None, f.port(port, path)
    return str(f.ip(addr.strip("[]"), path)), f.port(port, path)


def _health(h, mode, path):
    h = h or {}
    kind = f.one_of(f.get(h, "type", "http" if mode == "http" else "tcp"), CHECKS, path + ".type")
    hpath = f.get(h, "path", "/")
    if kind == "http" and (not isinstance(hpath, str) or not PATH_RE.match(hpath)):
        raise ValidationError(path + ".path", "%r is not an absolute URL path" % (hpath,))
    interval = f.integer(f.get(h, "interval_ms", 300), path + ".interval_ms", 50, 60000)
    timeout = f.integer(f.get(h, "timeout_ms", 300), path + ".timeout_ms", 10, 60000)
    if timeout > interval:
        raise ValidationError(path + ".timeout_ms", "%d is longer than interval_ms %d" % (timeout, interval))
    fall = f.integer(f.get(h, "fall", 2), path + ".fall", 1, 100)
    rise = f.integer(f.get(h, "rise", 2), path + ".rise", 1, 100)
    return Health(kind, hpath, interval, timeout, fall, rise)


def _servers(items, path):
    if not isinstance(items, list) or not items:
        raise ValidationError(path, "a load balancer needs at least one server")
    out = []
    for i, s in enumerate(items):
        sp = "%s[%d]" % (path, i)
        if not isinstance(s, dict):
            raise ValidationError(sp, "must be a dict")
        out.append(Server(f.name(f.need(s, "name", sp), sp + ".name"),
                          str(f.ip(f.need(s, "address", sp), sp + ".address")),
                          f.port(f.need(s, "port", sp), sp + ".port")))
    f.unique(out, lambda s: s.name, path, "server name")
    f.unique(out, lambda s: (s.address, s.port), path, "server address:port")
    return out


def _balancer(b, i, znets):
    path = "load_balancers[%d]" % i
    if not isinstance(b, dict):
        raise ValidationError(path, "must be a dict")
    name = f.name(f.need(b, "name", path), path + ".name")
    mode = f.one_of(f.get(b, "mode", "http"), MODES, path + ".mode")
    addr, port = _bind(f.need(b, "bind", path), path + ".bind")
    cert = b.get("certificate")
    if cert is not None:
        if mode != "http":
            raise ValidationError(path + ".certificate", "TLS termination needs mode http"
                                  " (a tcp balancer passes TLS through to its servers)")
        cert = f.name(cert, path + ".certificate")
    balance = f.one_of(f.get(b, "balance", "roundrobin"), BALANCE, path + ".balance")
    source = f.one_of(f.get(b, "client_source", "forwarded" if mode == "http" else "none"),
                      CLIENT_SOURCE, path + ".client_source")
    if source == "forwarded" and mode != "http":
        raise ValidationError(path + ".client_source", "'forwarded' (X-Forwarded-For) needs mode http;"
                              " use 'proxy' (PROXY protocol) for tcp")
    health = _health(b.get("health"), mode, path + ".health")
    servers = _servers(b.get("servers"), path + ".servers")
    clients = [_source(ref, znets, "%s.clients[%d]" % (path, j), allow_any=True)
               for j, ref in enumerate(f.list_of(b, "clients", path))]
    return Balancer(name, mode, addr, port, cert, balance, source, health, servers, clients)


def _source(ref, znets, path, allow_any=False):
    """A zone name (kept as the name), a CIDR (normalised) or, where allowed, 'any'."""
    if allow_any and ref == "any":
        return ref
    if isinstance(ref, str) and f.NAME_RE.match(ref):
        if ref not in znets:
            raise ValidationError(path, "unknown zone %r" % ref)
        return ref
    return str(f.network(ref, path))


def _zone_networks(zones):
    out = {}
    for z in zones or []:
        if isinstance(z, dict) and z.get("name"):
            addrs = z.get("address") or []
            addrs = [addrs] if isinstance(addrs, str) else addrs   # a string or a list, like azb_zones
            out[z["name"]] = [str(f.iface_addr(a, "zones").network) for a in addrs]
    return out


def _proxy(p, zones):
    path = "forward_proxy"
    if not isinstance(p, dict):
        raise ValidationError(path, "must be a dict")
    port = f.port(f.get(p, "port", 3128), path + ".port")
    listen = [str(f.ip(a, "%s.listen[%d]" % (path, i))) for i, a in enumerate(f.list_of(p, "listen", path))]
    allow, refs_out = [], []
    znets = _zone_networks(zones)
    refs = f.list_of(p, "allow", path)
    if not refs:
        raise ValidationError(path + ".allow", "is required (zones or CIDRs whose clients may use the proxy)")
    for i, ref in enumerate(refs):
        rp = "%s.allow[%d]" % (path, i)
        if isinstance(ref, str) and f.NAME_RE.match(ref):
            if ref not in znets:
                raise ValidationError(rp, "unknown zone %r" % ref)
            if not znets[ref]:
                raise ValidationError(rp, "zone %r has no address" % ref)
            allow += znets[ref]
            refs_out.append(ref)
        else:
            allow.append(str(f.network(ref, rp)))
            refs_out.append(allow[-1])
    denied = []
    for i, d in enumerate(f.list_of(p, "deny_domains", path)):
        if not isinstance(d, str) or not DOMAIN_RE.match(d):
            raise ValidationError("%s.deny_domains[%d]" % (path, i), "%r is not a domain" % (d,))
        denied.append("." + d.lstrip(".").lower())
    f.unique(denied, lambda d: d, path + ".deny_domains", "domain")
    dns = [str(f.ip(a, "%s.dns[%d]" % (path, i))) for i, a in enumerate(f.list_of(p, "dns", path))]
    return Proxy(listen, port, sorted(set(allow), key=allow.index), denied, dns, refs_out)


def _overlap(addr_a, port_a, addr_b, port_b):
    """Two listeners clash on the same port unless both name different addresses."""
    return port_a == port_b and (addr_a is None or addr_b is None or addr_a == addr_b)


def build(params):
    items = params.get("load_balancers") or []
    if not isinstance(items, list):
        raise ValidationError("load_balancers", "must be a list")
    znets = _zone_networks(params.get("zones"))
    balancers = [_balancer(b, i, znets) for i, b in enumerate(items)]
    f.unique(balancers, lambda b: b.name, "load_balancers", "name")
    for i, b in enumerate(balancers):
        for j, other in enumerate(balancers[:i]):
            if _overlap(b.bind_address, b.bind_port, other.bind_address, other.bind_port):
                raise ValidationError("load_balancers[%d].bind" % i, "port %d is already bound by"
                                      " load_balancers[%d]" % (b.bind_port, j))
    proxy = params.get("forward_proxy")
    proxy = _proxy(proxy, params.get("zones")) if proxy else None
    if proxy:
        for i, b in enumerate(balancers):
            if any(_overlap(b.bind_address, b.bind_port, a, proxy.port) for a in proxy.listen or [None]):
                raise ValidationError("forward_proxy.port", "port %d is bound by load_balancers[%d]"
                                      % (proxy.port, i))
    return Edge(balancers, proxy)
