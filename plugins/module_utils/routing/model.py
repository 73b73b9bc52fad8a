# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The routing model: validated, normalised intent for FRR (static, OSPFv2, RIPv2, PIM-SM/IGMP, BFD).

``build(params)`` returns a plain dict (what the renderer reads) or raises ``ValidationError`` with
the field path, e.g. ``ospf.interfaces[1].zone``. Nothing here touches the system: the whole input
is checked before anything on the box changes. Interfaces are named by what they are (a zone, a
link, a VPN tunnel) and resolved here to the kernel interface name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.routing import spec

REF_KINDS = ("zone", "link", "tunnel", "interface")
AREA_TYPES = ("normal", "stub", "nssa")
REDIST_SOURCES = ("connected", "static", "kernel", "ospf", "rip")
MULTICAST = ipaddress.ip_network("224.0.0.0/4")
BACKBONE = "0.0.0.0"
# FRR's limits: OSPF simple passwords 8 chars, MD5 keys 16; RIP text passwords 16.
KEY_MAX = {("ospf", "text"): 8, ("ospf", "md5"): 16, ("rip", "text"): 16, ("rip", "md5"): 16}


def _p(path, *more):
    out = path
    for m in more:
        out += ("[%d]" % m) if isinstance(m, int) else ("." + m if out else m)
    return out


def _v4(value, path, what="address"):
    addr = f.ip(value, path)
    if addr.version != 4:
        raise ValidationError(path, "%r is not an IPv4 %s" % (value, what))
    return addr


def _area(value, path):
    """An OSPF area id: a number or dotted quad -> dotted quad."""
    s = str(value).strip()
    if s.isdigit():
        n = int(s)
        if n > 0xffffffff:
            raise ValidationError(path, "area %s is out of range" % s)
        return str(ipaddress.IPv4Address(n))
    try:
        return str(ipaddress.IPv4Address(s))
    except ValueError:
        raise ValidationError(path, "%r is not an OSPF area id (a number or a dotted quad)" % (value,))


class Names(object):
    """What interface references resolve against: zones, links and tunnels of this box."""

    def __init__(self, zones, links, tunnels):
        self.zones, self.links, self.tunnels = zones, links, tunnels

    def resolve(self, ref, path):
        given = [k for k in REF_KINDS if ref.get(k) not in (None, "")]
        if len(given) != 1:
            raise ValidationError(path, "name exactly one of zone, link, tunnel, interface (got %s)"
                                  % (", ".join(given) or "none"))
        kind = given[0]
        value = ref[kind]
        where = _p(path, kind)
        if kind == "interface":
            return f.ifname(value, where)
        table = {"zone": self.zones, "link": self.links, "tunnel": self.tunnels}[kind]
        if value not in table:
            raise ValidationError(where, "unknown %s %r (known: %s)"
                                  % (kind, value, ", ".join(sorted(table)) or "none"))
        if not table[value]["interface"]:
            raise ValidationError(where, "zone %r has no bridge or interface to run on (name the tunnel)"
                                  % value)
        return table[value]["interface"]

    def is_zone_iface(self, ifname):
        return any(z["interface"] == ifname for z in self.zones.values())


def _zones(raw):
    zones = {}
    for i, z in enumerate(raw or []):
        path = _p("zones", i)
        name = f.name(f.need(z, "name", path), _p(path, "name"))
        # The zone's layer-3 interface: its bridge, else its first port (a bridgeless tunnel zone
        # whose interfaces come from the vpn role has none: routing cannot name it).
        iface = z.get("bridge") or (z.get("interfaces") or [None])[0]
        addrs = z.get("address") or []
        addrs = [addrs] if isinstance(addrs, str) else addrs
        nets = [f.iface_addr(a, _p(path, "address", j)).network for j, a in enumerate(addrs)]
        zones[name] = {"interface": f.ifname(iface, _p(path, "bridge")) if iface else None, "networks": nets}
    return zones


def _named(raw, key, with_address):
    out = {}
    ifaces = {}
    for i, item in enumerate(raw or []):
        path = _p(key, i)
        name = f.name(item["name"], _p(path, "name"))
        if name in out:
            raise ValidationError(_p(path, "name"), "duplicate %s name %r" % (key[:-1], name))
        iface = f.ifname(item["interface"], _p(path, "interface"))
        if iface in ifaces:
            raise ValidationError(_p(path, "interface"), "interface %r already used by %s"
                                  % (iface, ifaces[iface]))
        ifaces[iface] = name
        entry = {"name": name, "interface": iface}
        if with_address:
            entry["address"] = None
            if item.get("address"):
                addr = f.iface_addr(item["address"], _p(path, "address"))
                if addr.version != 4 or addr.network.prefixlen > 31:
                    raise ValidationError(_p(path, "address"), "a link address is IPv4 with a /8../31"
                                          " prefix (e.g. 198.19.17.73/30)")
                entry["address"] = addr
        out[name] = entry
    return out


def _prefix_lists(raw):
    out = {}
    for i, pl in enumerate(raw or []):
        path = _p("prefix_lists", i)
        name = f.name(pl["name"], _p(path, "name"))
        if name in out:
            raise ValidationError(_p(path, "name"), "duplicate prefix-list %r" % name)
        entries, seqs = [], set()
        for j, e in enumerate(pl.get("entries") or []):
            ep = _p(path, "entries", j)
            e = spec.checked(e, ep, spec.PREFIX_ENTRY)
            net = f.network(e["prefix"], _p(ep, "prefix"))
            if net.version != 4:
                raise ValidationError(_p(ep, "prefix"), "only IPv4 prefix-lists are supported")
            seq = e.get("seq") or (j + 1) * 5
            seq = f.integer(seq, _p(ep, "seq"), 1, 4294967295)
            if seq in seqs:
                raise ValidationError(_p(ep, "seq"), "duplicate sequence number %d" % seq)
            seqs.add(seq)
            ge, le = e.get("ge"), e.get("le")
            if ge is not None:
                ge = f.integer(ge, _p(ep, "ge"), net.prefixlen + 1, 32)
            if le is not None:
                le = f.integer(le, _p(ep, "le"), max(net.prefixlen, ge or 0), 32)
            entries.append({"seq": seq, "action": e.get("action") or "permit", "prefix": net,
                            "ge": ge, "le": le})
        if not entries:
            raise ValidationError(_p(path, "entries"), "a prefix-list needs at least one entry")
        out[name] = entries
    return out


def _static(raw, names):
    out = []
    for i, r in enumerate(raw or []):
        path = _p("static_routes", i)
        r = spec.checked(r, path, spec.STATIC_ROUTE)
        net = f.network(r["prefix"], _p(path, "prefix"))
        if net.version != 4:
            raise ValidationError(_p(path, "prefix"), "only IPv4 static routes are supported")
        via = r.get("via")
        iface = r.get("interface")
        if r.get("blackhole"):
            if via or iface:
                raise ValidationError(_p(path, "blackhole"), "a blackhole route has no via or interface")
        elif not via and not iface:
            raise ValidationError(path, "give via, interface, or blackhole: true")
        entry = {"prefix": net, "via": _v4(via, _p(path, "via")) if via else None,
                 "interface": f.ifname(iface, _p(path, "interface")) if iface else None,
                 "blackhole": bool(r.get("blackhole")),
                 "distance": f.integer(r["distance"], _p(path, "distance"), 1, 255)
                 if r.get("distance") is not None else None,
                 "table": f.integer(r["table"], _p(path, "table"), 1, 252)
                 if r.get("table") is not None else None}
        out.append(entry)
    _no_overlap(out)
    return out


def _no_overlap(routes):
    """Refuse two static routes of one table whose prefixes overlap (the later one is named).

    Prefixes nest or are disjoint: sorted by start, one overlaps an earlier one exactly when it
    starts before the widest end seen so far in its table (n log n: 1,000 routes stay cheap)."""
    order = sorted(range(len(routes)), key=lambda i: (routes[i]["table"] or 0,
                                                      int(routes[i]["prefix"].network_address),
                                                      routes[i]["prefix"].prefixlen))
    table, end, holder = None, -1, None
    for i in order:
        r = routes[i]
        start = int(r["prefix"].network_address)
        if r["table"] != table:
            table, end, holder = r["table"], -1, None
        if start <= end:
            later, earlier = max(i, holder), min(i, holder)
            raise ValidationError("static_routes[%d].prefix" % later, "%s overlaps static_routes[%d] (%s) in the"
                                  " same table" % (routes[later]["prefix"], earlier, routes[earlier]["prefix"]))
        stop = int(r["prefix"].broadcast_address)
        if stop > end:
            end, holder = stop, i


def _auth(a, path, proto):
    if not a:
        return None
    mode = a.get("mode") or "md5"
    key = a.get("key")
    if not key:
        raise ValidationError(_p(path, "key"), "is required")
    limit = KEY_MAX[(proto, mode)]
    if len(key) > limit or any(c.isspace() for c in key):
        raise ValidationError(_p(path, "key"), "a %s %s key is 1-%d characters without spaces"
                              % (proto.upper(), mode, limit))
    key_id = f.integer(a.get("key_id") or 1, _p(path, "key_id"), 1, 255)
    return {"mode": mode, "key": key, "key_id": key_id}


def _redistribute(raw, path, proto, names, prefix_lists):
    out = []
    seen = set()
    for i, r in enumerate(raw or []):
        rp = _p(path, i)
        src = r["source"]
        if src == proto:
            raise ValidationError(_p(rp, "source"), "%s cannot redistribute into itself" % proto)
        if src in seen:
            raise ValidationError(_p(rp, "source"), "%s is redistributed twice" % src)
        seen.add(src)
        zones = []
        for j, z in enumerate(r.get("zones") or []):
            if z not in names.zones:
                raise ValidationError(_p(rp, "zones", j), "unknown zone %r" % z)
            if not names.zones[z]["networks"]:
                raise ValidationError(_p(rp, "zones", j), "zone %r has no address to announce" % z)
            zones.append(z)
        if zones and src != "connected":
            raise ValidationError(_p(rp, "zones"), "zones select connected networks: use source: connected")
        pl = r.get("prefix_list")
        if pl and pl not in prefix_lists:
            raise ValidationError(_p(rp, "prefix_list"), "unknown prefix-list %r" % pl)
        if pl and zones:
            raise ValidationError(_p(rp, "prefix_list"), "give zones or a prefix_list, not both")
        metric = r.get("metric")
        if metric is not None:
            metric = f.integer(metric, _p(rp, "metric"), 0 if proto == "ospf" else 1,
                               16777214 if proto == "ospf" else 16)
        out.append({"source": src, "zones": zones, "prefix_list": pl, "metric": metric,
                    "metric_type": r.get("metric_type") if proto == "ospf" else None,
                    "networks": [n for z in zones for n in names.zones[z]["networks"]]})
    return out


def _ospf(o, router_id, names, prefix_lists):
    if o is None:
        return None
    rid = o.get("router_id") or router_id
    if not rid:
        raise ValidationError("ospf.router_id", "OSPF needs a router id (ospf.router_id or router_id)")
    rid = _v4(rid, "ospf.router_id" if o.get("router_id") else "router_id", "router id")
    areas = {}
    for i, a in enumerate(o.get("areas") or []):
        path = _p("ospf.areas", i)
        aid = _area(a["id"], _p(path, "id"))
        if aid in areas:
            raise ValidationError(_p(path, "id"), "area %s declared twice" % aid)
        kind = a.get("type") or "normal"
        if aid == BACKBONE and kind != "normal":
            raise ValidationError(_p(path, "type"), "the backbone area 0 cannot be %s" % kind)
        areas[aid] = kind
    areas.setdefault(BACKBONE, "normal")
    ifaces = []
    seen = {}
    for i, it in enumerate(o.get("interfaces") or []):
        path = _p("ospf.interfaces", i)
        ifname = names.resolve(it, path)
        if ifname in seen:
            raise ValidationError(path, "interface %s is already in OSPF (ospf.interfaces[%d])"
                                  % (ifname, seen[ifname]))
        seen[ifname] = i
        area = _area(it["area"], _p(path, "area")) if it.get("area") is not None else BACKBONE
        if area not in areas:
            raise ValidationError(_p(path, "area"), "area %s is not declared in ospf.areas" % area)
        hello = f.integer(it["hello_interval"], _p(path, "hello_interval"), 1, 65535) \
            if it.get("hello_interval") is not None else None
        dead = f.integer(it["dead_interval"], _p(path, "dead_interval"), 1, 65535) \
            if it.get("dead_interval") is not None else None
        if (dead or 40) <= (hello or 10):
            raise ValidationError(_p(path, "dead_interval"), "the dead interval (%s) must exceed the"
                                  " hello interval (%s)" % (dead or 40, hello or 10))
        passive = it.get("passive")
        if passive is None:
            # Clients live in zones: no neighbour is expected there, so no hello goes out.
            passive = it.get("zone") is not None
        network = it.get("network") or (None if it.get("zone") else "point-to-point")
        # A tunnel is a point-to-point device, where point-to-point is FRR's default network type: FRR
        # leaves the line out of its running config, so rendering it would read as drift forever.
        implicit = network == "point-to-point" and it.get("tunnel") is not None
        ifaces.append({
            "ifname": ifname, "area": area, "passive": bool(passive), "network": network,
            "network_implicit": implicit,
            "cost": f.integer(it["cost"], _p(path, "cost"), 1, 65535) if it.get("cost") is not None else None,
            "hello": hello, "dead": dead,
            "auth": _auth(it.get("authentication"), _p(path, "authentication"), "ospf"),
            "bfd": bool(it.get("bfd")), "bfd_profile": it.get("bfd_profile"), "path": path,
        })
    spf = None
    if o.get("spf_throttle"):
        t = o["spf_throttle"]
        spf = tuple(f.integer(t.get(k), "ospf.spf_throttle.%s" % k, 0, 600000)
                    for k in ("delay", "initial_hold", "max_hold"))
        if spf[1] > spf[2]:
            raise ValidationError("ospf.spf_throttle.initial_hold", "%d exceeds max_hold %d" % (spf[1], spf[2]))
    return {"router_id": rid, "areas": areas, "interfaces": ifaces, "spf": spf,
            "redistribute": _redistribute(o.get("redistribute"), "ospf.redistribute", "ospf", names,
                                          prefix_lists)}


def _rip(r, names, prefix_lists):
    if r is None:
        return None
    nets = [f.network(n, _p("rip.networks", i)) for i, n in enumerate(r.get("networks") or [])]
    ifaces, seen = [], {}
    for i, it in enumerate(r.get("interfaces") or []):
        path = _p("rip.interfaces", i)
        ifname = names.resolve(it, path)
        if ifname in seen:
            raise ValidationError(path, "interface %s is already in RIP (rip.interfaces[%d])"
                                  % (ifname, seen[ifname]))
        seen[ifname] = i
        ifaces.append({"ifname": ifname, "passive": bool(it.get("passive")),
                       "auth": _auth(it.get("authentication"), _p(path, "authentication"), "rip")})
    if not nets and not ifaces:
        raise ValidationError("rip", "RIP needs networks or interfaces to run on")
    dists = []
    for i, d in enumerate(r.get("distribute_lists") or []):
        path = _p("rip.distribute_lists", i)
        if d["prefix_list"] not in prefix_lists:
            raise ValidationError(_p(path, "prefix_list"), "unknown prefix-list %r" % d["prefix_list"])
        dists.append({"prefix_list": d["prefix_list"], "direction": d.get("direction") or "in"})
    return {"networks": nets, "interfaces": ifaces, "distribute": dists,
            "redistribute": _redistribute(r.get("redistribute"), "rip.redistribute", "rip", names,
                                          prefix_lists)}


def _pim(p, names, prefix_lists):
    if p is None:
        return None
    rps = []
    for i, rp in enumerate(p.get("rp") or []):
        path = _p("pim.rp", i)
        addr = _v4(rp["address"], _p(path, "address"))
        groups = f.network(rp.get("groups") or "224.0.0.0/4", _p(path, "groups"))
        if groups.version != 4 or not groups.subnet_of(MULTICAST):
            raise ValidationError(_p(path, "groups"), "%s is not a multicast range (224.0.0.0/4)" % groups)
        rps.append({"address": addr, "groups": groups})
    ssm = p.get("ssm_prefix_list")
    if ssm and ssm not in prefix_lists:
        raise ValidationError("pim.ssm_prefix_list", "unknown prefix-list %r" % ssm)
    ifaces = []
    for i, it in enumerate(p.get("interfaces") or []):
        ifname = names.resolve(it, _p("pim.interfaces", i))
        if ifname in ifaces:
            raise ValidationError(_p("pim.interfaces", i), "interface %s listed twice" % ifname)
        ifaces.append(ifname)
    igmp = []
    for i, it in enumerate(p.get("igmp") or []):
        ifname = names.resolve(it, _p("pim.igmp", i))
        if ifname in igmp:
            raise ValidationError(_p("pim.igmp", i), "interface %s listed twice" % ifname)
        igmp.append(ifname)
    if (ifaces or igmp) and not rps and not ssm:
        raise ValidationError("pim.rp", "PIM-SM needs a rendezvous point (pim.rp) or an SSM range"
                              " (pim.ssm_prefix_list)")
    return {"rps": rps, "ssm": ssm, "interfaces": ifaces, "igmp": igmp}


def _bfd(b, names, ospf):
    profiles = {}
    peers = []
    if b:
        for i, pr in enumerate(b.get("profiles") or []):
            path = _p("bfd.profiles", i)
            name = f.name(pr["name"], _p(path, "name"))
            if name in profiles:
                raise ValidationError(_p(path, "name"), "duplicate BFD profile %r" % name)
            profiles[name] = {
                "multiplier": f.integer(pr.get("detect_multiplier") or 3, _p(path, "detect_multiplier"), 2, 255),
                "rx": f.integer(pr.get("receive_interval") or 300, _p(path, "receive_interval"), 10, 60000),
                "tx": f.integer(pr.get("transmit_interval") or 300, _p(path, "transmit_interval"), 10, 60000)}
    ospf_ifaces = dict((i["ifname"], i) for i in (ospf or {}).get("interfaces", []))
    if b:
        for i, pe in enumerate(b.get("peers") or []):
            path = _p("bfd.peers", i)
            addr = _v4(pe["address"], _p(path, "address"))
            ifname = None
            if pe.get("interface"):
                ifname = names.resolve(pe["interface"], _p(path, "interface"))
                if ifname not in ospf_ifaces:
                    raise ValidationError(_p(path, "interface"), "BFD on %s, an interface without OSPF"
                                          " (BFD here protects OSPF neighbours)" % ifname)
            prof = pe.get("profile")
            if prof and prof not in profiles:
                raise ValidationError(_p(path, "profile"), "unknown BFD profile %r" % prof)
            peers.append({"address": addr, "ifname": ifname, "profile": prof})
    for it in (ospf or {}).get("interfaces", []):
        prof = it["bfd_profile"]
        if prof and not it["bfd"]:
            raise ValidationError(_p(it["path"], "bfd_profile"), "a BFD profile without bfd: true")
        if prof and prof not in profiles:
            raise ValidationError(_p(it["path"], "bfd_profile"), "unknown BFD profile %r" % prof)
        if it["bfd"] and it["passive"]:
            raise ValidationError(_p(it["path"], "bfd"), "BFD on a passive interface has no neighbour"
                                  " to watch")
    if not profiles and not peers and not any(i["bfd"] for i in ospf_ifaces.values()):
        return None
    return {"profiles": profiles, "peers": peers}


def build(params):
    names = Names(_zones(params.get("zones")), _named(params.get("links"), "links", True),
                  _named(params.get("tunnels"), "tunnels", False))
    rid = params.get("router_id")
    if rid:
        rid = str(_v4(rid, "router_id", "router id"))
    prefix_lists = _prefix_lists(params.get("prefix_lists"))
    ospf = _ospf(params.get("ospf"), rid, names, prefix_lists)
    mine = str(ospf["router_id"]) if ospf else rid
    for host, other in sorted((params.get("other_router_ids") or {}).items()):
        if mine and other and str(other) == mine:
            raise ValidationError("ospf.router_id" if ospf and (params.get("ospf") or {}).get("router_id")
                                  else "router_id",
                                  "router id %s is also used by %s in this play" % (mine, host))
    rip = _rip(params.get("rip"), names, prefix_lists)
    pim = _pim(params.get("pim"), names, prefix_lists)
    return {
        "router_id": rid,
        "links": [names.links[k] for k in sorted(names.links)],
        "static": _static(params.get("static_routes"), names),
        "prefix_lists": prefix_lists,
        "ospf": ospf,
        "rip": rip,
        "pim": pim,
        "bfd": _bfd(params.get("bfd"), names, ospf),
    }


def daemons(site):
    """The FRR daemons this intent needs (zebra and watchfrr always run)."""
    need = {"staticd"}
    if site["ospf"]:
        need.add("ospfd")
    if site["rip"]:
        need.add("ripd")
    if site["pim"]:
        need.add("pimd")
    if site["bfd"]:
        need.add("bfdd")
    return need
