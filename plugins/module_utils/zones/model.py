# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone model: validated, normalised intent for zones, hosts, policies and port forwards.

``build(params)`` either returns a ``Site`` or raises ``ValidationError`` naming the field path.
Nothing here touches the system: the whole input is checked before anything on the box changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import hosts as inv_hosts
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inventory_zones
from ansible_collections.azblink.nfv.plugins.module_utils.zones import inputs
# policies (the bulk of the input) have their own module: zones/policies.py
from ansible_collections.azblink.nfv.plugins.module_utils.zones import policies as zpolicies

ROLES = ("wan", "restricted", "dmz", "trusted")

# Services the box itself offers to a zone: name -> list of (proto, port or None).
SERVICES = {
    "ping": [("icmp", None)],
    "ssh": [("tcp", 22)],
    "dns": [("udp", 53), ("tcp", 53)],
    "dhcp": [("udp", 67)],
    "ntp": [("udp", 123)],
    "http": [("tcp", 80)],
    "https": [("tcp", 443)],
}

# The brochure's default matrix, by role of the source zone: which destination roles it may
# initiate to. trusted<->trusted is not open by default: zones br3..br11 follow declared policy.
DEFAULT_REACH = {
    "trusted": ("wan", "restricted", "dmz"),
    "dmz": ("wan",),
    "restricted": (),
    "wan": (),
}
DEFAULT_SERVICES = {"trusted": ("ping", "dns", "dhcp"), "dmz": ("ping",), "restricted": (), "wan": ()}


class Zone(object):
    def __init__(self, name, role, bridge, interfaces, addresses, gateway, services, intra, internet,
                 routed=None):
        self.name, self.role, self.bridge = name, role, bridge
        self.interfaces, self.addresses, self.gateway = interfaces, addresses, gateway
        self.services, self.intra, self.internet = services, intra, internet
        self.routed = routed or []  # networks reached through the zone (a tunnel's remote sites)

    @property
    def ifnames(self):
        """The interfaces the firewall sees traffic of this zone on."""
        return [self.bridge] if self.bridge else list(self.interfaces)

    @property
    def networks(self):
        return [a.network for a in self.addresses]

    @property
    def reachable(self):
        """What policies naming the zone match: its networks and those routed through it."""
        return self.networks + [n for n in self.routed if n not in self.networks]


class Host(object):
    def __init__(self, name, zone, addresses, isolated):
        self.name, self.zone, self.addresses, self.isolated = name, zone, addresses, isolated


class PortForward(object):
    def __init__(self, name, proto, port, to_addr, to_port, sources, wan_zones):
        self.name, self.proto, self.port, self.to_addr = name, proto, port, to_addr
        self.to_port, self.sources, self.wan_zones = to_port, sources, wan_zones


class Site(object):
    def __init__(self, zones, hosts, policies, forwards, management_sources, management_ports,
                 nat_sources, inputs=None):
        self.zones, self.hosts, self.policies, self.forwards = zones, hosts, policies, forwards
        self.management_sources, self.management_ports = management_sources, management_ports
        self.nat_sources = nat_sources
        self.inputs = inputs or []  # openings to the box itself beyond management (inputs.Input)

    def zones_by_role(self, *roles):
        return [z for z in self.zones if z.role in roles]


# -- the builder ---------------------------------------------------------------------------------

def build(params):
    zones = _zones(params.get("zones") or [])
    hosts = _hosts(params.get("hosts") or [], zones)
    names = {}
    for z in zones:
        names[z.name] = ("zone", z)
    for i, h in enumerate(hosts):
        if h.name in names:
            raise ValidationError("hosts[%d].name" % i, "%r is already the name of a zone" % h.name)
        names[h.name] = ("host", h)
    policies = zpolicies.build(params.get("policies"), params.get("policies_compact"), names)
    forwards = _forwards(params.get("port_forwards") or [], names, zones)
    mgmt = [f.network(s, "management_sources[%d]" % i)
            for i, s in enumerate(params.get("management_sources") or [])]
    mports = [f.port(p, "management_ports[%d]" % i)
              for i, p in enumerate(params.get("management_ports") or [22])]
    nat = [f.network(s, "nat_sources[%d]" % i) for i, s in enumerate(params.get("nat_sources") or [])]
    return Site(zones, hosts, policies, forwards, mgmt, mports, nat, inputs.build(params.get("inputs"), zones))


def _zones(raw):
    if not isinstance(raw, list) or not raw:
        raise ValidationError("zones", "at least one zone is required")
    zones = []
    for iz in inventory_zones.parse(raw, "zones"):
        z, path, name, role = iz.raw, "zones[%d]" % iz.index, iz.name, iz.role
        bridge, ifaces, addrs = iz.bridge, iz.interfaces, iz.addresses
        if not bridge and not ifaces:
            raise ValidationError(path, "needs a bridge or at least one interface")
        if addrs and not bridge and len(ifaces) != 1:
            raise ValidationError(path + ".address", "a zone without a bridge carries addresses on"
                                  " exactly one interface (give it a bridge to join several)")
        gateway = z.get("gateway")
        if gateway is not None:
            if role != "wan":
                raise ValidationError(path + ".gateway", "only a wan zone has a gateway")
            gateway = f.ip(gateway, path + ".gateway")
            if not any(gateway in a.network for a in addrs):
                raise ValidationError(path + ".gateway", "%s is in none of the zone's networks"
                                      % gateway)
        services = z.get("services")
        if services is None:
            services = list(DEFAULT_SERVICES[role])
        for j, s in enumerate(services):
            if s not in SERVICES:
                raise ValidationError("%s.services[%d]" % (path, j), "unknown service %r (known: %s)"
                                      % (s, ", ".join(sorted(SERVICES))))
        intra = z.get("intra", "accept")
        if intra not in ("accept", "drop"):
            raise ValidationError(path + ".intra", "must be accept or drop")
        internet = z.get("internet")
        if internet is None:
            internet = "wan" in DEFAULT_REACH[role]
        zones.append(Zone(name, role, bridge, ifaces, addrs, gateway, services, intra,
                          bool(internet), iz.routed))
    seen_if = {}
    for i, z in enumerate(zones):
        for ifn in ([z.bridge] if z.bridge else []) + z.interfaces:
            if ifn in seen_if:
                raise ValidationError("zones[%d]" % i, "interface %s already belongs to zone %s"
                                      % (ifn, seen_if[ifn]))
            seen_if[ifn] = z.name
    _check_vlans(zones)
    if not any(z.role == "wan" for z in zones):
        raise ValidationError("zones", "no zone has role wan: internal zones would have no egress")
    nets = [(i, z, n) for i, z in enumerate(zones) for n in z.networks]
    for a in range(len(nets)):
        for b in range(a + 1, len(nets)):
            (_ia, za, na), (ib, _zb, nb) = nets[a], nets[b]
            if na.version == nb.version and na.overlaps(nb):
                raise ValidationError("zones[%d].address" % ib, "%s overlaps %s of zone %s"
                                      % (nb, na, za.name))
    return zones


# A zone interface named TRUNK.ID (eno2.30: the 802.1Q naming of ifupdown and netplan) is VLAN ID
# on the NIC TRUNK (render_networkd makes it).
VLAN_RE = re.compile(r"^(?P<trunk>[A-Za-z0-9_-][A-Za-z0-9_.-]*)\.(?P<id>[0-9]{1,4})$")


def vlan_of(ifname):
    """'eno2.30' -> ('eno2', 30) for a zone interface named as a VLAN of a trunk; else None. The id is
    checked by _check_vlans, with the field path."""
    m = VLAN_RE.match(ifname)
    return (m.group("trunk"), int(m.group("id"))) if m else None


def _check_vlans(zones):
    """Every VLAN interface names a real id on a NIC (not on a VLAN, not on a zone's bridge), and
    networkd has something to do with it (the zone's bridge to join, or its addresses)."""
    bridges = dict((z.bridge, z.name) for z in zones if z.bridge)
    for i, z in enumerate(zones):
        for j, ifname in enumerate(z.interfaces):
            vlan = vlan_of(ifname)
            if not vlan:
                continue
            trunk, vid = vlan
            path = "zones[%d].interfaces[%d]" % (i, j)
            if not 1 <= vid <= 4094:
                raise ValidationError(path, "%s names VLAN %d of %s: VLAN ids are 1-4094" % (ifname, vid, trunk))
            if vlan_of(trunk):
                raise ValidationError(path, "%s is a VLAN of VLAN %s: stacked VLANs (QinQ) are not supported"
                                      % (ifname, trunk))
            if trunk in bridges:
                raise ValidationError(path, "%s is a VLAN of %s, the bridge of zone %s: name the NIC that carries "
                                      "the VLANs (its trunk)" % (ifname, trunk, bridges[trunk]))
            if not z.bridge and not z.addresses:
                raise ValidationError(path, "VLAN %s needs the zone's bridge or address to be configured on" % ifname)


def _zone_of_addr(addr, zones):
    for z in zones:
        if any(addr in n for n in z.networks):
            return z
    return None


def _hosts(raw, zones):
    reach = dict((z.name, z.reachable) for z in zones)
    return [Host(h.name, h.zone, h.addresses, h.isolated) for h in inv_hosts.parse(raw, reach, "hosts")]


def _forwards(raw, names, zones):
    out = []
    wan_names = [z.name for z in zones if z.role == "wan"]
    for i, fwd in enumerate(raw):
        path = "port_forwards[%d]" % i
        name = f.name(f.need(fwd, "name", path), path + ".name")
        proto = fwd.get("proto", "tcp")
        if proto not in ("tcp", "udp"):
            raise ValidationError(path + ".proto", "must be tcp or udp")
        port = f.port_range(f.need(fwd, "port", path), path + ".port")
        target = f.need(fwd, "to", path)
        if isinstance(target, str) and target in names and names[target][0] == "host":
            to_addr = names[target][1].addresses[0]
        else:
            to_addr = f.ip(target, path + ".to")
        if _zone_of_addr(to_addr, zones) is None:
            raise ValidationError(path + ".to", "%s is in no zone's network" % to_addr)
        if _zone_of_addr(to_addr, zones).role == "wan":
            raise ValidationError(path + ".to", "%s is on the WAN side; forwards go to internal hosts"
                                  % to_addr)
        to_port = fwd.get("to_port")
        if to_port is not None:
            to_port = f.port(to_port, path + ".to_port")
            if port[0] != port[1]:
                raise ValidationError(path + ".to_port", "a port range forwards to the same ports")
        sources = [f.network(s, "%s.from[%d]" % (path, j)) for j, s in enumerate(f.list_of(fwd, "from", path))]
        wans = fwd.get("wan") or wan_names
        wans = wans if isinstance(wans, list) else [wans]
        for j, w in enumerate(wans):
            if w not in wan_names:
                raise ValidationError("%s.wan[%d]" % (path, j), "%r is not a wan zone" % w)
        out.append(PortForward(name, proto, port, to_addr, to_port, sources, wans))
    f.unique(out, lambda x: x.name, "port_forwards", "port forward name")
    f.unique(out, lambda x: (x.proto, x.port, tuple(x.wan_zones)), "port_forwards", "WAN port")
    return out
