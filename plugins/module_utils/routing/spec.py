# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_routing. Deep checks (references, overlaps, ranges) live in the model, which
names the field path; the spec only gives types and defaults.

The bulk lists (static routes, prefix-list entries: thousands of items) are checked against their
element spec by ``checked`` from the model, not by AnsibleModule: its per-element sub-spec pass
(with deep copies) cost more than the whole rest of the module on 2,000 entries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

AUTH = dict(
    mode=dict(type="str", choices=["md5", "text"], default="md5"),
    key_id=dict(type="int", default=1),
    key=dict(type="str", required=True, no_log=True),
)

# An interface is named by what it is: a zone (its bridge), a link, a VPN tunnel, or a raw name.
IFACE_REF = dict(
    zone=dict(type="str"),
    link=dict(type="str"),
    tunnel=dict(type="str"),
    interface=dict(type="str"),
)

OSPF_IFACE = dict(IFACE_REF, **dict(
    area=dict(type="str"),
    cost=dict(type="int"),
    hello_interval=dict(type="int"),
    dead_interval=dict(type="int"),
    passive=dict(type="bool"),
    network=dict(type="str", choices=["point-to-point", "broadcast"]),
    authentication=dict(type="dict", options=AUTH),
    bfd=dict(type="bool", default=False),
    bfd_profile=dict(type="str"),
))

RIP_IFACE = dict(IFACE_REF, **dict(
    passive=dict(type="bool", default=False),
    authentication=dict(type="dict", options=AUTH),
))

REDIST = dict(
    source=dict(type="str", required=True, choices=["connected", "static", "kernel", "ospf", "rip"]),
    zones=dict(type="list", elements="str", default=[]),
    prefix_list=dict(type="str"),
    metric=dict(type="int"),
    metric_type=dict(type="int", choices=[1, 2]),
)

DISTRIBUTE = dict(
    prefix_list=dict(type="str", required=True),
    direction=dict(type="str", choices=["in", "out"], default="in"),
)

PREFIX_ENTRY = dict(
    seq=dict(type="int"),
    action=dict(type="str", choices=["permit", "deny"], default="permit"),
    prefix=dict(type="str", required=True),
    ge=dict(type="int"),
    le=dict(type="int"),
)

STATIC_ROUTE = dict(
    prefix=dict(type="str", required=True),
    via=dict(type="str"),
    interface=dict(type="str"),
    blackhole=dict(type="bool", default=False),
    distance=dict(type="int"),
    table=dict(type="int"),
)


def checked(item, path, spec):
    """``item`` against an element spec (known keys, required, type, choices, defaults), naming the
    field path: what AnsibleModule does for sub-options, for lists too long for its pass."""
    if not isinstance(item, dict):
        raise ValidationError(path, "must be a dictionary")
    for key in item:
        if key not in spec:
            raise ValidationError("%s.%s" % (path, key), "unknown field (known: %s)" % ", ".join(sorted(spec)))
    out = {}
    for key, s in spec.items():
        where = "%s.%s" % (path, key)
        value = item.get(key)
        if value is None:
            if s.get("required"):
                raise ValidationError(where, "is required")
            out[key] = s.get("default")
            continue
        kind = s.get("type", "str")
        try:
            if kind == "bool":
                value = boolean(value, strict=True)
            elif kind == "int":
                if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                    raise TypeError(value)
                value = int(value)
            elif isinstance(value, (dict, list, tuple)):
                raise TypeError(value)
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise ValidationError(where, "%r is not a %s" % (value, {"bool": "boolean", "int": "number"}.get(kind, "string")))
        if s.get("choices") and value not in s["choices"]:
            raise ValidationError(where, "%r is not one of %s" % (value, ", ".join(s["choices"])))
        out[key] = value
    return out


ARGS = dict(
    state=dict(type="str", default="present", choices=["present", "absent", "rendered", "gathered"]),
    router_id=dict(type="str"),
    other_router_ids=dict(type="dict", default={}),
    zones=dict(type="list", elements="dict", default=[]),
    links=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        interface=dict(type="str", required=True),
        address=dict(type="str"),
    )),
    tunnels=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        interface=dict(type="str", required=True),
    )),
    # Elements checked by the model (``checked``, STATIC_ROUTE and PREFIX_ENTRY), see above.
    static_routes=dict(type="list", elements="dict", default=[]),
    prefix_lists=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        entries=dict(type="list", elements="dict", required=True),
    )),
    ospf=dict(type="dict", options=dict(
        router_id=dict(type="str"),
        spf_throttle=dict(type="dict", options=dict(
            delay=dict(type="int", required=True),
            initial_hold=dict(type="int", required=True),
            max_hold=dict(type="int", required=True),
        )),
        areas=dict(type="list", elements="dict", default=[], options=dict(
            id=dict(type="str", required=True),
            type=dict(type="str", choices=["normal", "stub", "nssa"], default="normal"),
        )),
        interfaces=dict(type="list", elements="dict", default=[], options=OSPF_IFACE),
        redistribute=dict(type="list", elements="dict", default=[], options=REDIST),
    )),
    rip=dict(type="dict", options=dict(
        networks=dict(type="list", elements="str", default=[]),
        interfaces=dict(type="list", elements="dict", default=[], options=RIP_IFACE),
        redistribute=dict(type="list", elements="dict", default=[], options=REDIST),
        distribute_lists=dict(type="list", elements="dict", default=[], options=DISTRIBUTE),
    )),
    pim=dict(type="dict", options=dict(
        rp=dict(type="list", elements="dict", default=[], options=dict(
            address=dict(type="str", required=True),
            groups=dict(type="str", default="224.0.0.0/4"),
        )),
        ssm_prefix_list=dict(type="str"),
        interfaces=dict(type="list", elements="dict", default=[], options=IFACE_REF),
        igmp=dict(type="list", elements="dict", default=[], options=IFACE_REF),
    )),
    bfd=dict(type="dict", options=dict(
        profiles=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            detect_multiplier=dict(type="int", default=3),
            receive_interval=dict(type="int", default=300),
            transmit_interval=dict(type="int", default=300),
        )),
        peers=dict(type="list", elements="dict", default=[], options=dict(
            address=dict(type="str", required=True),
            interface=dict(type="dict", options=IFACE_REF),
            profile=dict(type="str"),
        )),
    )),
)


def argument_spec():
    return ARGS
