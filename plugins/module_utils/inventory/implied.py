# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one role's declared variables imply for another, computed on the controller (pure).

``box_inputs`` asks every domain of ``INPUT_DOMAINS`` which openings to the box itself its
declarations need (a VPN's listen port on the wan zones, a routing protocol on its interfaces, ...)
and returns them as ``azb_zone`` ``inputs``. A new domain (routing, HA, ...) adds one function
``f(view) -> [input]`` to the registry. ``wired_zones`` puts tunnel interfaces and the networks
behind them into their zone; ``wan_tunnels`` lets route policies steer to a tunnel by name;
``routing_tunnels`` lets ``azb_routing`` name the box's VPN tunnels, and ``vpn_tunnels`` hands the
vpn role the tunnels OSPF runs over (point-to-point, every address to the one peer).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.ha import model as ha_model
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import tunnels as inv_tunnels
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inv_zones
from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_model
from ansible_collections.azblink.nfv.plugins.module_utils.vm.profiles import PROFILES
from ansible_collections.azblink.nfv.plugins.module_utils.routing import inputs as routing_inputs_of
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import model as vpn_model


class BoxView(object):
    """One appliance's declared variables, parsed once for every domain.

    ``box``: its variables (azb_zones, azb_vpn_tunnels, ...); ``peers``: {appliance: its azb_zones}
    of the other appliances the controller knows.
    """

    def __init__(self, host, box, peers=None):
        self.host, self.box = host, dict(box or {})
        self.zones = inv_zones.parse(self.box.get("azb_zones") or [], "azb_zones")
        self.tunnels = inv_tunnels.on_box(self.box.get("azb_vpn_tunnels") or [], host, self.zones,
                                          peers or {})

    @property
    def wan_zones(self):
        return [z.name for z in self.zones if z.role == "wan"]


def vpn_inputs(view):
    """Each tunnel's listen port, open from the wan zones (from anywhere when none is declared)."""
    sources = view.wan_zones or ["any"]
    out = []
    for t in view.tunnels:
        if t.type == "ipsec":
            out.append({"name": "vpn-%s" % t.name, "from": sources, "proto": "udp",
                        "ports": [str(t.port), "4500"]})
            out.append({"name": "vpn-%s-esp" % t.name, "from": sources, "proto": "esp"})
        else:
            out.append({"name": "vpn-%s" % t.name, "from": sources, "proto": "udp", "ports": [str(t.port)]})
    return out


def services_inputs(view):
    """The edge services' listeners, open to their clients: each load balancer to its ``clients``,
    the forward proxy to its ``allow`` list (zones and CIDRs)."""
    lbs = view.box.get("azb_load_balancers") or []
    proxy = view.box.get("azb_forward_proxy") or None
    if not lbs and not proxy:
        return []
    try:
        edge = edge_model.build({"load_balancers": lbs, "forward_proxy": proxy,
                                 "zones": view.box.get("azb_zones") or []})
    except ValidationError as exc:
        # The module's field paths, as the inventory names them (load_balancers -> azb_load_balancers).
        raise ValidationError("azb_" + exc.path, exc.reason)
    out = [{"name": "lb-%s" % b.name, "from": list(b.clients), "proto": "tcp", "ports": [str(b.bind_port)]}
           for b in edge.balancers if b.clients]
    if edge.proxy:
        out.append({"name": "forward-proxy", "from": list(edge.proxy.allow_refs), "proto": "tcp",
                    "ports": [str(edge.proxy.port)]})
    return out


def routing_tunnels(view):
    """``azb_routing.tunnels`` plus the box's VPN tunnels that have an interface, by their name
    (declared names win): OSPF, RIP or PIM name them ``{tunnel: NAME}`` without declaring them twice."""
    out = list((view.box.get("azb_routing") or {}).get("tunnels") or [])
    names = set(t.get("name") for t in out if isinstance(t, dict))
    for t in view.tunnels:
        if t.interface and t.name not in names:
            out.append({"name": t.name, "interface": t.interface})
    return out


def ospf_vpn_tunnels(view):
    """{tunnel name: its OSPF interface} for the box's VPN tunnels OSPF runs over (not passive).

    Refused with the field path: OSPF over a tunnel that is not WireGuard, or not point-to-point
    (more than one other peer, road-warrior clients), or with another OSPF network type.
    """
    site = routing_inputs_of.site_of(view.box.get("azb_routing"), view.box.get("azb_zones"),
                                     routing_tunnels(view))
    if not site or not site["ospf"]:
        return {}
    by_iface = dict((t.interface, t) for t in view.tunnels if t.interface)
    raw = view.box.get("azb_vpn_tunnels") or []
    out = {}
    for it in site["ospf"]["interfaces"]:
        t = by_iface.get(it["ifname"])
        if t is None or it["passive"]:
            continue
        if it["network"] != "point-to-point":
            raise ValidationError("azb_routing.%s.network" % it["path"],
                                  "OSPF over the WireGuard tunnel %r runs point-to-point (a tunnel has one"
                                  " neighbour and no broadcast), not %s" % (t.name, it["network"]))
        try:
            vpn_model.check_ospf(raw[t.index], "azb_vpn_tunnels[%d]" % t.index)
        except SpecError as exc:
            raise ValidationError(exc.path, "%s (OSPF runs over it: azb_routing.%s)" % (exc.reason, it["path"]))
        out[t.name] = it
    return out


def vpn_tunnels(view):
    """``azb_vpn_tunnels`` with ``routing: ospf`` on the tunnels this box's OSPF runs over."""
    ospf = ospf_vpn_tunnels(view)
    return [dict(t, routing="ospf") if isinstance(t, dict) and t.get("name") in ospf else t
            for t in view.box.get("azb_vpn_tunnels") or []]


def routing_inputs(view):
    """The routing protocols where ``azb_routing`` runs them (OSPF, RIP, PIM, IGMP, BFD), nothing more."""
    ospf_vpn_tunnels(view)  # a tunnel OSPF cannot run over is refused before the firewall changes
    return routing_inputs_of.for_intent(view.box.get("azb_routing"), view.box.get("azb_zones"),
                                        routing_tunnels(view))


def ha_inputs(view):
    """An HA pair (``azb_ha``): VRRP on each zone with a shared address, conntrackd's sync port."""
    return ha_model.inputs(view.box.get("azb_zones"), view.box.get("azb_ha"))


# domain -> function(view) -> [azb_zone input]
INPUT_DOMAINS = (
    ("vpn", vpn_inputs),
    ("services", services_inputs),
    ("routing", routing_inputs),
    ("ha", ha_inputs),
)


def box_inputs(view, declared=None):
    """The declared ``azb_box_inputs`` plus every domain's implied openings (declared names win)."""
    out = list(declared or [])
    names = set(i.get("name") for i in out if isinstance(i, dict))
    for _domain, implied in INPUT_DOMAINS:
        for item in implied(view):
            if item["name"] not in names:
                out.append(item)
                names.add(item["name"])
    return out


def wired_zones(view):
    """azb_zones with each tunnel's interface added to its zone and the networks behind it routed."""
    out = []
    for z in view.zones:
        doc = dict(z.raw)
        mine = [t for t in view.tunnels if t.zone == z.name]
        if mine and z.bridge:
            raise ValidationError("azb_vpn_tunnels[%d].zone" % mine[0].index,
                                  "zone %r has a bridge; a tunnel is a layer-3 interface: give it a zone"
                                  " of its own, without bridge" % z.name)
        if mine:
            ifaces = list(z.interfaces) + [t.interface for t in mine if t.interface and t.interface not in z.interfaces]
            doc["interfaces"] = ifaces
            routed = [str(n) for n in z.routed]
            for t in mine:
                routed += [str(n) for n in t.remote if str(n) not in routed]
            doc["networks"] = routed
            doc["address"] = [str(a) for a in z.addresses]
        out.append(doc)
    return out


def wan_tunnels(view, declared=None):
    """Declared ``azb_wan_tunnels`` plus every tunnel with a routing table (declared names win)."""
    out = list(declared or [])
    names = set(t.get("name") for t in out if isinstance(t, dict))
    for t in view.tunnels:
        if t.table is not None and t.interface and t.name not in names:
            out.append({"name": t.name, "interface": t.interface, "table": t.table})
    return out


def vm_forwards(vms, hosts, declared=None, custom_profiles=None):
    """Declared ``azb_port_forwards`` plus one forward per port a VM publishes (its ``publish`` or
    its profile's, e.g. the sbc's SIP/RTP ports), from every wan zone to the VM (declared names win).

    ``hosts``: the named hosts (azb_site_hosts); a publishing VM must be one (a NIC with zone and
    address), else ``azb_vms[i].publish`` is refused.
    """
    out = list(declared or [])
    names = set(f.get("name") for f in out if isinstance(f, dict))
    known = set(h.get("name") for h in hosts or [] if isinstance(h, dict))
    catalogue = dict(PROFILES)
    catalogue.update(custom_profiles or {})
    for i, vm in enumerate(vms or []):
        if not isinstance(vm, dict):
            continue
        publish = vm.get("publish")
        if publish is None:
            publish = (catalogue.get(vm.get("profile")) or {}).get("publish") or []
        if publish and vm.get("name") not in known:
            raise ValidationError("azb_vms[%d].publish" % i, "VM %r publishes ports but has no NIC with a zone"
                                  " and an address for the firewall to forward them to" % (vm.get("name"),))
        for j, p in enumerate(publish):
            path = "azb_vms[%d].publish[%d]" % (i, j)
            if not isinstance(p, dict) or p.get("proto") not in ("tcp", "udp") or not p.get("port"):
                raise ValidationError(path, "must be {proto: tcp|udp, port: N or a-b}")
            name = "%s-%s-%s" % (vm["name"], p["proto"], str(p["port"]).replace("-", "to"))
            if name not in names:
                out.append({"name": name, "proto": p["proto"], "port": str(p["port"]), "to": vm["name"]})
                names.add(name)
    return out
