# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HA pair model: two appliances share each declared zone gateway address by VRRP (keepalived),
sync connection state (conntrackd) and track their WAN; validated intent for one node of the pair.

``build(params)`` returns an ``HaNode`` or raises ``ValidationError`` naming the field path. Both
nodes are built from the same inventory (``pair``, ``vips``, ``sync``...) plus each node's own zones,
so the pair's configuration cannot diverge; nothing here touches the system.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

DEFAULT_PRIORITIES = (150, 100)      # first node of the pair, second node
DEFAULT_WATCHDOG_UNITS = ["keepalived.service", "conntrackd.service"]


class Vip(object):
    def __init__(self, index, zone, vrid, address, interface, snat, snat_sources):
        self.index, self.zone, self.vrid, self.address = index, zone, vrid, address
        self.interface, self.snat, self.snat_sources = interface, snat, snat_sources

    @property
    def instance(self):
        return "azb_%s" % self.zone.replace("-", "_")


class HaNode(object):
    def __init__(self, node, peer, priority, preempt, preempt_delay_s, advert_ms, vips, sync, wan_check,
                 watchdog_units):
        self.node, self.peer, self.priority = node, peer, priority
        self.preempt, self.preempt_delay_s, self.advert_ms = preempt, preempt_delay_s, advert_ms
        self.vips, self.sync, self.wan_check, self.watchdog_units = vips, sync, wan_check, watchdog_units


class Sync(object):
    def __init__(self, zone, interface, local, peer, port):
        self.zone, self.interface, self.local, self.peer, self.port = zone, interface, local, peer, port


class WanCheck(object):
    def __init__(self, targets, interface, interval_s, fall, rise):
        self.targets, self.interface, self.interval_s, self.fall, self.rise = targets, interface, interval_s, fall, rise


def _zones(raw, path):
    """{name: (role, l3 interface, [ip_interface])} of one node's zones."""
    out = {}
    if not isinstance(raw, list):
        raise ValidationError(path, "must be a list")
    for i, z in enumerate(raw):
        p = "%s[%d]" % (path, i)
        if not isinstance(z, dict):
            raise ValidationError(p, "must be a dictionary")
        name = f.name(f.need(z, "name", p), p + ".name")
        ifnames = [z["bridge"]] if z.get("bridge") else list(f.list_of(z, "interfaces", p))
        addrs = z.get("address") or []
        addrs = [addrs] if isinstance(addrs, str) else addrs
        out[name] = (z.get("role") or "trusted", ifnames[0] if ifnames else None,
                     [f.iface_addr(a, "%s.address[%d]" % (p, j)) for j, a in enumerate(addrs)])
    return out


def build(params):
    pair = f.list_of(params, "pair", "")
    if len(pair) != 2:
        raise ValidationError("pair", "an HA pair is exactly two appliances (got %d)" % len(pair))
    if pair[0] == pair[1]:
        raise ValidationError("pair[1]", "%r is the same appliance as pair[0]" % (pair[1],))
    node = f.need(params, "node", "")
    if node not in pair:
        raise ValidationError("node", "%r is not one of the pair (%s)" % (node, ", ".join(pair)))
    peer = pair[1] if node == pair[0] else pair[0]
    zones = _zones(params.get("zones") or [], "zones")
    peer_zones = _zones(params.get("peer_zones") or [], "peer_zones")
    prio_map = params.get("priorities") or {}
    if not isinstance(prio_map, dict):
        raise ValidationError("priorities", "must be a dictionary {appliance: priority}")
    for k in prio_map:
        if k not in pair:
            raise ValidationError("priorities.%s" % k, "%r is not one of the pair" % (k,))
    prios = [f.integer(f.get(prio_map, n, DEFAULT_PRIORITIES[i]), "priorities.%s" % n, 1, 254)
             for i, n in enumerate(pair)]
    if prios[0] == prios[1]:
        raise ValidationError("priorities", "both nodes have priority %d: the election would fall to"
                              " the higher address, not to the inventory" % prios[0])
    preempt = bool(params.get("preempt", False))
    delay = f.integer(f.get(params, "preempt_delay_s", 0), "preempt_delay_s", 0, 1000)
    if delay and not preempt:
        raise ValidationError("preempt_delay_s", "only means something with preempt: true")
    advert_ms = f.integer(f.get(params, "advert_ms", 250), "advert_ms", 10, 40950)
    if advert_ms % 10:
        raise ValidationError("advert_ms", "%d: VRRPv3 counts in centiseconds (a multiple of 10)" % advert_ms)
    vips = _vips(params.get("vips") or [], zones, peer_zones)
    sync = _sync(params.get("sync") or {}, zones, peer_zones)
    wan = _wan_check(params.get("wan_check"), zones)
    units = list(params.get("watchdog_units") or DEFAULT_WATCHDOG_UNITS)
    for j, u in enumerate(units):
        if not isinstance(u, str) or not u.endswith((".service",)) or "/" in u or " " in u:
            raise ValidationError("watchdog_units[%d]" % j, "%r is not a systemd service name" % (u,))
    return HaNode(node, peer, prios[pair.index(node)], preempt, delay, advert_ms, vips, sync, wan, units)


def _inside_networks(zones):
    nets = []
    for role, _ifname, addrs in zones.values():
        if role != "wan":
            nets += [a.network for a in addrs if a.version == 4]
    return nets


def _vips(raw, zones, peer_zones):
    if not isinstance(raw, list) or not raw:
        raise ValidationError("vips", "at least one shared gateway address is required")
    out = []
    for i, v in enumerate(raw):
        p = "vips[%d]" % i
        if not isinstance(v, dict):
            raise ValidationError(p, "must be a dictionary")
        zone = f.need(v, "zone", p)
        if zone not in zones:
            raise ValidationError(p + ".zone", "unknown zone %r (zones: %s)" % (zone, ", ".join(sorted(zones))))
        if zone not in peer_zones:
            raise ValidationError(p + ".zone", "zone %r is not declared on the peer: the pair's zones must match"
                                  % zone)
        role, ifname, addrs = zones[zone]
        if not ifname:
            raise ValidationError(p + ".zone", "zone %r has no interface for VRRP" % zone)
        vrid = f.integer(f.need(v, "vrid", p), p + ".vrid", 1, 255)
        addr = f.iface_addr(f.need(v, "address", p), p + ".address")
        if addr.version != 4:
            raise ValidationError(p + ".address", "IPv6 VRRP is not supported yet")
        if not any(addr.ip in a.network for a in addrs):
            raise ValidationError(p + ".address", "%s is in none of zone %s's networks (%s)"
                                  % (addr.ip, zone, ", ".join(str(a.network) for a in addrs) or "none"))
        own = [a for a in addrs if a.ip == addr.ip] + [a for a in peer_zones[zone][2] if a.ip == addr.ip]
        if own:
            raise ValidationError(p + ".address", "%s is a node's own address: the shared address must be"
                                  " a third one" % addr.ip)
        snat = bool(v.get("snat", False))
        if snat and role != "wan":
            raise ValidationError(p + ".snat", "only a wan zone's shared address can be the egress address")
        out.append(Vip(i, zone, vrid, addr, ifname, snat, _inside_networks(zones) if snat else []))
    f.unique(out, lambda x: x.vrid, "vips", "VRRP id")
    f.unique(out, lambda x: x.zone, "vips", "zone")
    f.unique(out, lambda x: x.address.ip, "vips", "address")
    return out


def _sync(raw, zones, peer_zones):
    if not isinstance(raw, dict):
        raise ValidationError("sync", "must be a dictionary")
    zone = f.need(raw, "zone", "sync")
    if zone not in zones or zone not in peer_zones:
        where = "this node" if zone not in zones else "the peer"
        raise ValidationError("sync.zone", "unknown zone %r on %s" % (zone, where))
    _role, ifname, addrs = zones[zone]
    local = [a for a in addrs if a.version == 4]
    remote = [a for a in peer_zones[zone][2] if a.version == 4]
    if not local:
        raise ValidationError("sync.zone", "zone %r has no IPv4 address on this node to sync from" % zone)
    if not remote:
        raise ValidationError("sync.zone", "zone %r has no IPv4 address on the peer to sync to" % zone)
    if local[0].ip == remote[0].ip:
        raise ValidationError("sync.zone", "both nodes have %s in zone %r: each needs its own address"
                              % (local[0].ip, zone))
    port = f.integer(f.get(raw, "port", 3780), "sync.port", 1024, 65535)
    return Sync(zone, ifname, local[0].ip, remote[0].ip, port)


def _wan_check(raw, zones):
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError("wan_check", "must be a dictionary")
    zone = f.need(raw, "zone", "wan_check")
    if zone not in zones or zones[zone][0] != "wan":
        raise ValidationError("wan_check.zone", "%r is not a wan zone of this node" % (zone,))
    targets = [f.ip(t, "wan_check.targets[%d]" % j) for j, t in enumerate(f.list_of(raw, "targets", "wan_check"))]
    if not targets:
        raise ValidationError("wan_check.targets", "at least one address to probe is required")
    inside = _inside_networks(zones)
    for j, t in enumerate(targets):
        if any(t in n for n in inside):
            raise ValidationError("wan_check.targets[%d]" % j, "%s is inside a zone: the check must test the WAN" % t)
    return WanCheck(targets, zones[zone][1], f.integer(f.get(raw, "interval_s", 1), "wan_check.interval_s", 1, 60),
                    f.integer(f.get(raw, "fall", 2), "wan_check.fall", 1, 20),
                    f.integer(f.get(raw, "rise", 2), "wan_check.rise", 1, 20))


def inputs(node_zones, ha):
    """The zones firewall openings an HA pair needs (pure, for the inventory registry): VRRP on every
    zone with a shared address, conntrackd's sync port on the sync zone."""
    if not ha or not isinstance(ha, dict):
        return []
    out = []
    for v in ha.get("vips") or []:
        if isinstance(v, dict) and v.get("zone"):
            out.append({"name": "ha-vrrp-%s" % v["zone"], "from": [v["zone"]], "proto": "vrrp"})
    sync = ha.get("sync") or {}
    if isinstance(sync, dict) and sync.get("zone"):
        out.append({"name": "ha-sync", "from": [sync["zone"]], "proto": "udp",
                    "ports": [str(sync.get("port") or 3780)]})
    return out
