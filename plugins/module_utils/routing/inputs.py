# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openings to the box a routing intent needs, as ``azb_zone`` ``inputs`` (pure).

Exactly the protocols where they run: OSPF (IP 89) on its non-passive interfaces, RIP (udp/520)
on its non-passive interfaces and networks, PIM (IP 103) on its interfaces, IGMP (IP 2) where
receivers live and where PIM runs, BFD (udp/3784-3785) on the OSPF interfaces that use it and
towards its static peers. A passive interface sends and expects no protocol packet: nothing opens.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.routing import model


def _uniq(items):
    out = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


def site_of(routing, zones, tunnels=None):
    """``azb_routing`` (with ``tunnels`` in place of its own, when given) and ``azb_zones`` -> the
    validated model, or None; bad input names ``azb_routing.<field path>``."""
    if not routing:
        return None
    params = dict(routing)
    params["zones"] = zones or []
    if tunnels is not None:
        params["tunnels"] = tunnels
    try:
        return model.build(params)
    except ValidationError as exc:
        raise ValidationError("azb_routing." + exc.path if not exc.path.startswith("zones") else exc.path,
                              exc.reason)


def for_intent(routing, zones, tunnels=None):
    """``azb_routing`` and ``azb_zones`` -> [input]; bad input names ``azb_routing.<field path>``."""
    site = site_of(routing, zones, tunnels)
    if not site:
        return []
    out = []
    ospf, rip, pim, bfd = site["ospf"], site["rip"], site["pim"], site["bfd"]
    if ospf:
        ifs = _uniq(i["ifname"] for i in ospf["interfaces"] if not i["passive"])
        if ifs:
            out.append({"name": "routing-ospf", "from": ifs, "proto": "ospf"})
    if rip:
        src = _uniq([i["ifname"] for i in rip["interfaces"] if not i["passive"]]
                    + [str(n) for n in rip["networks"]])
        if src:
            out.append({"name": "routing-rip", "from": src, "proto": "udp", "ports": ["520"]})
    if pim:
        if pim["interfaces"]:
            out.append({"name": "routing-pim", "from": list(pim["interfaces"]), "proto": "pim"})
        igmp = _uniq(list(pim["igmp"]) + list(pim["interfaces"]))
        if igmp:
            out.append({"name": "routing-igmp", "from": igmp, "proto": "igmp"})
    if bfd:
        src = [i["ifname"] for i in (ospf or {}).get("interfaces", []) if i["bfd"]]
        src += [p["ifname"] or "%s/32" % p["address"] for p in bfd["peers"]]
        src = _uniq(src)
        if src:
            out.append({"name": "routing-bfd", "from": src, "proto": "udp", "ports": ["3784", "3785"]})
    return out
