# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate's ``azb_vpn_tunnels`` seen from one appliance, for the roles that wire around them.

Only what other roles need is read here (which tunnels run on the box, their interface, port, zone,
table and the networks behind them); azb_vpn's own model validates the rest on the box.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inv_zones

DEFAULT_PORTS = {"wireguard": 51820, "openvpn": 1194, "ipsec": 500}
TYPES = tuple(DEFAULT_PORTS)


class BoxTunnel(object):
    def __init__(self, index, name, ttype, port, zone, table, network, remote):
        self.index, self.name, self.type, self.port = index, name, ttype, port
        self.zone, self.table, self.network, self.remote = zone, table, network, remote

    @property
    def interface(self):
        """The tunnel's interface (IPsec policies have none: their traffic keeps its interface)."""
        return None if self.type == "ipsec" else self.name


def local_networks(zones, names, path, who):
    """The networks a tunnel end offers: the named zones', or by default every trusted zone with an
    address. ``zones`` are InvZone; ``names`` the peer's ``zones`` (or None)."""
    if names is None:
        return [str(n) for z in zones if z.role == "trusted" for n in z.networks]
    known = inv_zones.by_name(zones)
    out = []
    for k, zname in enumerate(inv_zones.one_or_list(names, path)):
        z = known.get(zname)
        if z is None:
            raise ValidationError("%s[%d]" % (path, k), "zone %r is not a zone of %s (known: %s)"
                                  % (zname, who, ", ".join(sorted(known)) or "none"))
        if not z.networks:
            raise ValidationError("%s[%d]" % (path, k), "zone %r of %s has no address, so no network to"
                                  " offer through the tunnel" % (zname, who))
        out += [str(n) for n in z.networks]
    return out


def on_box(raw, host, zones, peer_zones):
    """Tunnels of ``raw`` (azb_vpn_tunnels) that list ``host`` among their peers.

    ``zones``: this box's InvZone list; ``peer_zones``: {appliance name: its raw azb_zones} for the
    managed peers known to the controller. Paths are ``azb_vpn_tunnels[i]...``.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError("azb_vpn_tunnels", "must be a list, not a %s" % type(raw).__name__)
    zone_names = set(z.name for z in zones)
    out = []
    for i, t in enumerate(raw):
        tp = "azb_vpn_tunnels[%d]" % i
        if not isinstance(t, dict):
            raise ValidationError(tp, "must be a dictionary")
        peers = t.get("peers") or []
        if not any(isinstance(p, dict) and p.get("name") == host for p in peers):
            continue
        name = f.ifname(f.need(t, "name", tp), tp + ".name")
        ttype = t.get("type") or "wireguard"
        if ttype not in TYPES:
            raise ValidationError(tp + ".type", "%r is not one of %s" % (ttype, ", ".join(TYPES)))
        port = f.port(t.get("port") or DEFAULT_PORTS[ttype], tp + ".port")
        me = next(j for j, p in enumerate(peers) if isinstance(p, dict) and p.get("name") == host)
        # the appliance's own peer entry may put the tunnel in another zone than the estate default
        zone, zpath = t.get("zone"), tp + ".zone"
        if peers[me].get("zone") is not None:
            zone, zpath = peers[me]["zone"], "%s.peers[%d].zone" % (tp, me)
        if zone is not None and zone not in zone_names:
            raise ValidationError(zpath, "%r is not a zone of %s (known: %s)"
                                  % (zone, host, ", ".join(sorted(zone_names)) or "none"))
        table = t.get("table")
        if table is not None:
            table = f.integer(table, tp + ".table", 1, 2 ** 31 - 1)
        network = f.network(f.need(t, "network", tp), tp + ".network")
        remote = [network]
        for j, p in enumerate(peers):
            pp = "%s.peers[%d]" % (tp, j)
            if not isinstance(p, dict) or p.get("name") == host:
                continue
            remote += [f.network(n, "%s.networks[%d]" % (pp, k))
                       for k, n in enumerate(inv_zones.one_or_list(p.get("networks"), pp + ".networks"))]
            if p.get("public_key") is None and p.get("name") in peer_zones:
                theirs = inv_zones.parse(peer_zones[p["name"]], "hostvars[%s].azb_zones" % p["name"])
                remote += [ipaddress.ip_network(n) for n in
                           local_networks(theirs, p.get("zones"), pp + ".zones", "appliance %r" % p["name"])]
        uniq = []
        for n in remote:
            if n not in uniq:
                uniq.append(n)
        out.append(BoxTunnel(i, name, ttype, port, zone, table, network, uniq))
    return out
