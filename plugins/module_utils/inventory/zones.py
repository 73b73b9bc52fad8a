# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared ``azb_zones`` document, read one way by every module and filter.

Every consumer (azb_zone, azb_wan_policy, azb_vpn, the azb_vm_plan filter, the site filters) reads
a zone's name, role, bridge, interfaces, addresses and routed networks through ``parse``: the same
input is accepted (``address`` as one string or a list), normalised, and refused with the same
field path (``zones[1].address[0]``) wherever it is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

ROLES = ("wan", "restricted", "dmz", "trusted")


class InvZone(object):
    """One zone as the inventory declares it (no defaults of any one module applied)."""

    def __init__(self, index, name, role, bridge, interfaces, addresses, routed, raw):
        self.index, self.name, self.role, self.bridge = index, name, role, bridge
        self.interfaces, self.addresses, self.routed, self.raw = interfaces, addresses, routed, raw

    @property
    def ifnames(self):
        """The interfaces traffic of the zone is seen on."""
        return [self.bridge] if self.bridge else list(self.interfaces)

    @property
    def networks(self):
        """The zone's own networks (from its addresses)."""
        return [a.network for a in self.addresses]

    @property
    def reachable(self):
        """Its own networks and those routed through it (a tunnel's remote sites)."""
        return self.networks + [n for n in self.routed if n not in self.networks]


def one_or_list(value, path):
    """A scalar or a list -> a list (None and '' -> [])."""
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        raise ValidationError(path, "must be a string or a list, not a dictionary")
    return [value]


def parse(raw, path="zones", require_role=True):
    """The zones list -> [InvZone], or ValidationError naming ``<path>[i].<field>``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(path, "must be a list")
    out = []
    for i, z in enumerate(raw):
        zp = "%s[%d]" % (path, i)
        if not isinstance(z, dict):
            raise ValidationError(zp, "must be a dictionary")
        name = f.name(f.need(z, "name", zp), zp + ".name")
        role = z.get("role")
        if role is None and not require_role:
            role = "trusted"
        if role not in ROLES:
            raise ValidationError(zp + ".role", "%r is not one of %s" % (role, ", ".join(ROLES)) if role
                                  else "is required")
        bridge = z.get("bridge")
        if bridge not in (None, ""):
            bridge = f.ifname(bridge, zp + ".bridge")
        else:
            bridge = None
        ifaces = [f.ifname(v, "%s.interfaces[%d]" % (zp, j))
                  for j, v in enumerate(one_or_list(z.get("interfaces"), zp + ".interfaces"))]
        addrs = [f.iface_addr(a, "%s.address[%d]" % (zp, j))
                 for j, a in enumerate(one_or_list(z.get("address"), zp + ".address"))]
        routed = [f.network(n, "%s.networks[%d]" % (zp, j))
                  for j, n in enumerate(one_or_list(z.get("networks"), zp + ".networks"))]
        out.append(InvZone(i, name, role, bridge, ifaces, addrs, routed, z))
    f.unique(out, lambda x: x.name, path, "zone name")
    return out


def by_name(zones):
    return dict((z.name, z) for z in zones)
