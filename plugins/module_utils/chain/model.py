# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service-chain model: validated, normalised intent for VNFs and chains.

``build(params)`` returns a ``ChainSite`` or raises ``ValidationError`` naming the field path; nothing
here touches the system, so the whole input is checked before anything on the box changes.

Numbers the data path is built from (see docs/chain.md):
  * VNF instance ``i`` (declaration order) lives in network namespace ``azbv-<name>``, joined to the box
    by two veths: host ``azbs<i>i`` (the side traffic enters the VNF by) and ``azbs<i>o`` (leaves by),
    addresses from ``service_network`` (a /29 per instance: in .1 host/.2 VNF, out .5 host/.6 VNF).
  * Route ids live in bits 16..27 of the packet mark (``ROUTE_MASK``), one ``ip rule`` each:
    1..15 exit of chain c, 0x10 the main table, 0x11 drop, 0x100 + 2i into instance i by its in side,
    0x101 + 2i back into instance i by its out side (replies).
  * Bits 28..31 of the conntrack mark (``CHAIN_CT_MASK``) carry the chain of a connection on its exit
    segment, so replies from the WAN are steered back through the hops.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory.zones import one_or_list
from ansible_collections.azblink.nfv.plugins.module_utils.chain.steer import ROUTE_SHIFT

KINDS = ("nftables", "suricata", "squid", "vm")
# A ``vm`` VNF is a libvirt guest (declared in azb_vms) that routes: an L3 next hop like the vFW.
MODE_OF_KIND = {"nftables": "routed", "suricata": "inline", "squid": "proxy", "vm": "routed"}
MODES = ("routed", "inline", "proxy")
ON_FAILURE = ("bypass", "block")
# When the exit has no route (its WAN or tunnel down): fall back to the box's main table, or drop.
EXIT_ON_FAILURE = ("fallback", "fail_closed")
PROTOS = ("tcp", "udp", "icmp", "any")
IPS_MODES = ("ips", "ids")

ROUTE_MASK = 0x0FFF0000
CHAIN_CT_MASK = 0xF0000000
CHAIN_CT_SHIFT = 28
ROUTE_INSTANCE_BASE = 0x100
MAX_CHAINS = 15
MAX_VNFS = 64
TABLE_BASE = 20000          # routing table of route id r (instances) is TABLE_BASE + r
RULE_PREF = 950             # before azb_wan_policy's rules (1000..1299)
RESERVED_TABLES = (0, 253, 254, 255)
# A vm VNF's bridges are VM_LINK_PREFIX + NAME + i|o: the prefix is ours alone, so a bridge of it
# that no declared vm VNF owns is a leftover of a removed one.
VM_LINK_PREFIX = "azbh"

HEALTH_DEFAULTS = {"interval_ms": 100, "timeout_ms": 300, "down": 3, "up": 3}


class Vnf(object):
    def __init__(self, index, name, kind, config):
        self.index, self.name, self.kind, self.config = index, name, kind, config
        self.net = None  # set by build: addresses of its two links

    @property
    def netns(self):
        return "azbv-%s" % self.name

    @property
    def host_in(self):
        # A VM's links are bridges its NICs join: named after the VNF, so azb_vms can name them.
        return VM_LINK_PREFIX + "%si" % self.name if self.kind == "vm" else "azbs%di" % self.index

    @property
    def host_out(self):
        return VM_LINK_PREFIX + "%so" % self.name if self.kind == "vm" else "azbs%do" % self.index

    @property
    def route_in(self):
        return ROUTE_INSTANCE_BASE + 2 * self.index

    @property
    def route_out(self):
        return ROUTE_INSTANCE_BASE + 2 * self.index + 1

    @property
    def unit(self):
        return "azb-vnf@%s.service" % self.name


class Hop(object):
    def __init__(self, name, instances, mode, on_failure, health):
        self.name, self.instances, self.mode = name, instances, mode
        self.on_failure, self.health = on_failure, health


class Chain(object):
    def __init__(self, index, name, sources, destinations, proto, ports, hops, exit_kind, exit_name, exit_table):
        self.index, self.name, self.sources, self.destinations = index, name, sources, destinations
        self.proto, self.ports, self.hops = proto, ports, hops
        self.exit_kind, self.exit_name, self.exit_table = exit_kind, exit_name, exit_table

    @property
    def number(self):
        """1..15: its exit route id and the chain bits of its connections' conntrack mark."""
        return self.index + 1


class Source(object):
    """Where a chain's traffic comes from: a zone's interfaces, or networks (a host, a CIDR).
    ``inside`` are the networks its replies go back to (the VNFs route them by their in side)."""

    def __init__(self, ifnames=None, networks=None, inside=None):
        self.ifnames, self.networks = ifnames or [], networks or []
        self.inside = inside if inside is not None else self.networks


class ChainSite(object):
    def __init__(self, service_network, sink, vnfs, chains, exits):
        self.service_network, self.sink = service_network, sink
        self.vnfs, self.chains, self.exits = vnfs, chains, exits
        self.internal = []

    def vnf(self, name):
        return [v for v in self.vnfs if v.name == name][0]


def _health(d, path):
    d = d or {}
    out = {}
    for key, default in HEALTH_DEFAULTS.items():
        out[key] = f.integer(f.get(d, key, default), "%s.%s" % (path, key), 1, 60000)
    if out["timeout_ms"] > 10000:
        raise ValidationError("%s.timeout_ms" % path, "at most 10000")
    if out["down"] > 100 or out["up"] > 100:
        raise ValidationError(path, "down and up are at most 100")
    return out


def _vnf_config(kind, d, path):
    cfg = {}
    if kind == "nftables":
        policy = f.get(d, "policy", "drop")
        if policy not in ("accept", "drop"):
            raise ValidationError("%s.policy" % path, "must be accept or drop")
        cfg["policy"] = policy
        rules = f.list_of(d, "rules", path)
        for j, r in enumerate(rules):
            if (not isinstance(r, str) or not r.strip() or any(c in r for c in "\n;#")
                    or r.count("{") != r.count("}")):
                raise ValidationError("%s.rules[%d]" % (path, j),
                                      "one nft rule per entry (no ; # or newline, balanced braces)")
        cfg["rules"] = [r.strip() for r in rules]
    elif kind == "suricata":
        mode = f.get(d, "ips_mode", "ips")
        if mode not in IPS_MODES:
            raise ValidationError("%s.ips_mode" % path, "must be one of %s" % ", ".join(IPS_MODES))
        cfg["ips_mode"] = mode
        rules = f.list_of(d, "rules", path)
        for j, r in enumerate(rules):
            if not isinstance(r, str) or "\n" in r or not r.strip():
                raise ValidationError("%s.rules[%d]" % (path, j), "one Suricata rule per entry")
            action = r.split(None, 1)[0]
            if action not in ("alert", "drop", "pass", "reject"):
                raise ValidationError("%s.rules[%d]" % (path, j), "%r is not a Suricata rule action" % action)
            if "sid:" not in r.replace(" ", ""):
                raise ValidationError("%s.rules[%d]" % (path, j), "a rule needs a sid")
        cfg["rules"] = [r.strip() for r in rules]
    elif kind == "squid":
        cfg["intercept_ports"] = [f.port(p, "%s.intercept_ports[%d]" % (path, j))
                                  for j, p in enumerate(f.get(d, "intercept_ports", [80]))]
        cfg["allow"] = [str(f.network(n, "%s.allow[%d]" % (path, j)))
                        for j, n in enumerate(f.list_of(d, "allow", path))]
    elif kind == "vm":
        cfg["vm"] = f.name(f.need(d, "vm", path), path + ".vm")
    return cfg


def _vms(params):
    """{VM name: [bridges of its NICs]} of azb_vms, or None when the caller passed no VMs (then a
    ``vm`` VNF's VM is not checked: the state rendered for a box without the workloads role)."""
    raw = params.get("vms")
    if raw is None:
        return None
    out = {}
    for i, d in enumerate(raw):
        path = "vms[%d]" % i
        name = f.need(d, "name", path)
        out[name] = [n.get("bridge") for n in (d.get("nics") or []) if isinstance(n, dict)]
    return out


def _check_vm(v, vms, path):
    """A VM VNF names a VM of azb_vms whose first two NICs join its in and out bridges (in that
    order: the guest's eth0 is the in side, eth1 the out side)."""
    if vms is None or v.kind != "vm":
        return
    vm = v.config["vm"]
    if vm not in vms:
        raise ValidationError(path + ".config.vm", "%r is not a VM of azb_vms (known: %s)"
                              % (vm, ", ".join(sorted(vms)) or "none"))
    want = [v.host_in, v.host_out]
    if vms[vm][:2] != want:
        raise ValidationError(path + ".config.vm", "VM %r must have its first two NICs on bridges %s (in, eth0) "
                              "and %s (out, eth1); it has %s" % (vm, want[0], want[1], vms[vm]))


def _zones(params):
    zones = {}
    for i, z in enumerate(params.get("zones") or []):
        path = "zones[%d]" % i
        name = f.name(f.need(z, "name", path), path + ".name")
        ifnames = [z["bridge"]] if z.get("bridge") else list(z.get("interfaces") or [])
        nets = [f.iface_addr(a, "%s.address[%d]" % (path, j)).network for j, a in enumerate(z.get("address") or [])]
        zones[name] = (ifnames, nets, z.get("role"))
    return zones


def _hosts(params):
    """{name: [host networks]}: a host's ``address`` is read as every consumer reads azb_hosts (one
    string or a list, a prefix length ignored): a VM's NIC 10.1.0.20/24 is the host 10.1.0.20/32,
    not its whole subnet."""
    hosts = {}
    for i, h in enumerate(params.get("hosts") or []):
        path = "hosts[%d]" % i
        name = f.name(f.need(h, "name", path), path + ".name")
        addrs = one_or_list(h.get("address"), path + ".address")
        hosts[name] = [f.network(f.ip(str(a).split("/", 1)[0], "%s.address[%d]" % (path, j)), path)
                       for j, a in enumerate(addrs)]
    return hosts


def _exits(params):
    """{name: (kind, table, interface)} from the WANs (tables 101.. by default, as azb_wan_policy) and tunnels."""
    exits = {}
    for i, w in enumerate(params.get("wans") or []):
        path = "wans[%d]" % i
        name = f.name(f.need(w, "name", path), path + ".name")
        table = f.integer(f.get(w, "table", 101 + i), path + ".table", 1, 2 ** 31 - 1)
        exits[name] = ("wan", table, w.get("interface"))
    for i, t in enumerate(params.get("tunnels") or []):
        path = "tunnels[%d]" % i
        name = f.name(f.need(t, "name", path), path + ".name")
        if name in exits:
            raise ValidationError(path + ".name", "%r is already a WAN" % name)
        table = f.integer(f.need(t, "table", path), path + ".table", 1, 2 ** 31 - 1)
        exits[name] = ("tunnel", table, t.get("interface"))
    for name, (_k, table, _i) in exits.items():
        if table in RESERVED_TABLES or TABLE_BASE <= table <= TABLE_BASE + (ROUTE_MASK >> ROUTE_SHIFT):
            raise ValidationError("wans", "exit %r: table %d is reserved" % (name, table))
    return exits


def _source(value, path, zones, hosts):
    if value in zones:
        ifnames, nets, _role = zones[value]
        if not ifnames:
            raise ValidationError(path, "zone %r has no interface to classify on" % value)
        return Source(ifnames=list(ifnames), inside=list(nets))
    if value in hosts:
        return Source(networks=list(hosts[value]))
    if isinstance(value, str) and f.NAME_RE.match(value):
        raise ValidationError(path, "%r is not a known zone or host" % value)
    return Source(networks=[f.network(value, path)])


def _overlap(a, b):
    """Two classifiers that can match the same packet (same sources, destinations, proto and ports)."""
    def nets(c):
        # A zone's traffic is its networks' too: a CIDR inside a zone overlaps the zone.
        return [n for s in c.sources for n in (s.networks or s.inside)]

    def ifs(c):
        return set(i for s in c.sources for i in s.ifnames)
    src = bool(ifs(a) & ifs(b)) or any(x.overlaps(y) for x in nets(a) for y in nets(b))
    if not src:
        return False
    if a.destinations and b.destinations and not any(x.overlaps(y) for x in a.destinations for y in b.destinations):
        return False
    if "any" not in (a.proto, b.proto) and a.proto != b.proto:
        return False
    if a.ports and b.ports and not any(lo <= hi2 and lo2 <= hi for lo, hi in a.ports for lo2, hi2 in b.ports):
        return False
    return True


def build(params):
    svc = f.network(f.get(params, "service_network", "10.255.0.0/16"), "service_network")
    if svc.version != 4 or svc.prefixlen > 22:
        raise ValidationError("service_network", "an IPv4 network of at least /22 (a /29 per VNF, the last /24"
                                                 " for health probes)")
    zones, hosts, exits = _zones(params), _hosts(params), _exits(params)
    vms = _vms(params)

    vnfs = []
    raw_vnfs = f.list_of(params, "vnfs", "")
    f.unique(raw_vnfs, lambda v: v.get("name"), "vnfs", "VNF name")
    capacity = (svc.num_addresses - 256) // 8
    if len(raw_vnfs) > min(capacity, MAX_VNFS):
        raise ValidationError("vnfs", "%d VNFs do not fit in service_network %s" % (len(raw_vnfs), svc))
    for i, d in enumerate(raw_vnfs):
        path = "vnfs[%d]" % i
        name = f.name(f.need(d, "name", path), path + ".name")
        if len(name) > 10:
            raise ValidationError(path + ".name", "at most 10 characters (it names a network namespace azbv-NAME)")
        kind = f.need(d, "kind", path)
        if kind not in KINDS:
            raise ValidationError(path + ".kind", "%r is not one of %s" % (kind, ", ".join(KINDS)))
        v = Vnf(i, name, kind, _vnf_config(kind, d.get("config") or {}, path + ".config"))
        if kind == "vm":
            other = [w.name for w in vnfs if w.kind == "vm" and w.config["vm"] == v.config["vm"]]
            if other:
                raise ValidationError(path + ".config.vm", "VM %r already serves VNF %r" % (v.config["vm"], other[0]))
        _check_vm(v, vms, path)
        base = svc.network_address + 8 * i
        v.net = {"in_host": str(base + 1), "in_vnf": str(base + 2), "out_host": str(base + 5),
                 "out_vnf": str(base + 6), "prefix": 30}
        vnfs.append(v)
    by_name = dict((v.name, v) for v in vnfs)
    # The last /24 of the service network is for health checks: a probe namespace (one address per
    # instance, in .64/26) and a sink namespace beyond every VNF, each joined to the box by a /30.
    area = svc.broadcast_address - 255
    sink = {"host": str(area + 249), "sink": str(area + 250), "prefix": 30,
            "probe_host": str(area + 253), "probe": str(area + 254),
            "probe_net": "%s/26" % (area + 64)}
    for v in vnfs:
        v.net["probe"] = str(area + 64 + v.index)

    chains = []
    raw_chains = f.list_of(params, "chains", "")
    f.unique(raw_chains, lambda c: c.get("name"), "chains", "chain name")
    if len(raw_chains) > MAX_CHAINS:
        raise ValidationError("chains", "at most %d chains per box" % MAX_CHAINS)
    used_by = {}
    for i, d in enumerate(raw_chains):
        path = "chains[%d]" % i
        name = f.name(f.need(d, "name", path), path + ".name")
        sources = [_source(s, "%s.from[%d]" % (path, j), zones, hosts)
                   for j, s in enumerate(f.need(d, "from", path))]
        dests = []
        for j, t in enumerate(f.get(d, "to", ["any"])):
            if t == "any":
                if len(f.get(d, "to", [])) > 1:
                    raise ValidationError("%s.to[%d]" % (path, j), "'any' cannot be combined with CIDRs")
                continue
            dests.append(f.network(t, "%s.to[%d]" % (path, j)))
        proto, ports = f.proto_ports(d, path, PROTOS)
        hops = []
        raw_hops = f.need(d, "hops", path)
        f.unique(raw_hops, lambda h: h.get("name"), path + ".hops", "hop name")
        seen_instances = {}
        for k, h in enumerate(raw_hops):
            hpath = "%s.hops[%d]" % (path, k)
            hname = f.name(f.need(h, "name", hpath), hpath + ".name")
            insts = f.list_of(h, "instances", hpath)
            if not insts:
                raise ValidationError(hpath + ".instances", "a hop needs at least one VNF instance")
            objs = []
            for j, n in enumerate(insts):
                ipath = "%s.instances[%d]" % (hpath, j)
                if n not in by_name:
                    raise ValidationError(ipath, "%r is not a declared VNF" % (n,))
                if n in seen_instances:
                    raise ValidationError(ipath, "%r already serves %s: a chain may not loop through a VNF"
                                          % (n, seen_instances[n]))
                if n in used_by:
                    raise ValidationError(ipath, "%r already serves chain %r (a VNF instance belongs to one chain)"
                                          % (n, used_by[n]))
                seen_instances[n] = hpath
                objs.append(by_name[n])
            mode = f.get(h, "mode", MODE_OF_KIND[objs[0].kind])
            if mode not in MODES:
                raise ValidationError(hpath + ".mode", "%r is not one of %s" % (mode, ", ".join(MODES)))
            for j, v in enumerate(objs):
                if MODE_OF_KIND[v.kind] != mode:
                    raise ValidationError("%s.instances[%d]" % (hpath, j), "a %s VNF cannot serve a %s hop"
                                          % (v.kind, mode))
            default_failure = "bypass" if mode == "proxy" else "block"
            on_failure = f.get(h, "on_failure", default_failure)
            if on_failure not in ON_FAILURE:
                raise ValidationError(hpath + ".on_failure", "%r is not one of %s" % (on_failure, ", ".join(ON_FAILURE)))
            hops.append(Hop(hname, objs, mode, on_failure, _health(h.get("health"), hpath + ".health")))
        for n in seen_instances:
            used_by[n] = name
        ex = d.get("exit") or {}
        via = f.need(ex, "via", path + ".exit")
        if via not in exits:
            raise ValidationError(path + ".exit.via", "%r is not a declared WAN or tunnel" % (via,))
        kind, table, _ifname = exits[via]
        c = Chain(i, name, sources, dests, proto, ports, hops, kind, via, table)
        # A tunnel exit never leaks in clear out of a WAN: fail closed unless told otherwise.
        c.exit_on_failure = f.get(ex, "on_failure", "fail_closed" if kind == "tunnel" else "fallback")
        if c.exit_on_failure not in EXIT_ON_FAILURE:
            raise ValidationError(path + ".exit.on_failure", "%r is not one of %s"
                                  % (c.exit_on_failure, ", ".join(EXIT_ON_FAILURE)))
        for other in chains:
            if _overlap(c, other):
                raise ValidationError(path + ".from", "its classifier overlaps chain %r's (a packet would match both)"
                                      % other.name)
        chains.append(c)
    site = ChainSite(svc, sink, vnfs, chains, exits)
    # 'to: any' means away from the box's own networks: traffic between zones is never chained out.
    site.internal = sorted(set(n for ifs, nets, role in zones.values() if role != "wan" for n in nets
                               if n.version == 4), key=lambda n: (int(n.network_address), n.prefixlen))
    return site
