# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared hosts document (``azb_hosts``, and the VMs' first NICs), read one way by every
consumer: ``address`` as one string or a list, with or without a prefix length, inside its zone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory.zones import one_or_list


class InvHost(object):
    def __init__(self, index, name, zone, addresses, isolated, raw):
        self.index, self.name, self.zone, self.addresses = index, name, zone, addresses
        self.isolated, self.raw = isolated, raw


def parse(raw, zone_networks, path="hosts"):
    """``zone_networks``: {zone name: [networks]}. -> [InvHost] or ValidationError with the path."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(path, "must be a list")
    out = []
    for i, h in enumerate(raw):
        hp = "%s[%d]" % (path, i)
        if not isinstance(h, dict):
            raise ValidationError(hp, "must be a dictionary")
        name = f.name(f.need(h, "name", hp), hp + ".name")
        zname = f.need(h, "zone", hp)
        if zname not in zone_networks:
            raise ValidationError(hp + ".zone", "unknown zone %r" % (zname,))
        addrs = one_or_list(h.get("address"), hp + ".address")
        if not addrs:
            raise ValidationError(hp + ".address", "is required")
        ips = [f.ip(str(a).split("/", 1)[0], "%s.address[%d]" % (hp, j)) for j, a in enumerate(addrs)]
        nets = zone_networks[zname]
        for j, ip in enumerate(ips):
            if not any(ip in n for n in nets):
                raise ValidationError("%s.address[%d]" % (hp, j), "%s is outside zone %s (%s)"
                                      % (ip, zname, ", ".join(str(n) for n in nets) or "no networks"))
        out.append(InvHost(i, name, zname, ips, bool(h.get("isolated", False)), h))
    f.unique(out, lambda x: x.name, path, "host name")
    seen = {}
    for h in out:
        for ip in h.addresses:
            if ip in seen:
                raise ValidationError("%s[%d].address" % (path, h.index), "%s is already host %s" % (ip, seen[ip]))
            seen[ip] = h.name
    return out


def with_vms(declared, vms):
    """``azb_hosts`` plus one host per VM of ``azb_vms`` whose first NIC with a zone has an address
    (declared names win), so policies, port forwards and route policies can name a VM."""
    out = list(declared or [])
    names = set(h.get("name") for h in out if isinstance(h, dict))
    for vm in vms or []:
        if not isinstance(vm, dict) or vm.get("name") in names:
            continue
        nics = [n for n in vm.get("nics") or [] if isinstance(n, dict) and n.get("zone") and n.get("address")]
        if nics:
            out.append({"name": vm["name"], "zone": nics[0]["zone"], "address": one_or_list(nics[0]["address"], "")[:1],
                        "isolated": bool(vm.get("isolated", False))})
            names.add(vm["name"])
    return out
