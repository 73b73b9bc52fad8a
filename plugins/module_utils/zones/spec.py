# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_zone, in parts the zones role and other modules can reuse.

``policies`` (tens of thousands of entries at scale) is checked against POLICY by the model
(zones/policies.py, with field paths), not by AnsibleModule: its per-element sub-spec pass, with
its deep copies, cost more than the rest of the module at 10,000 policies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites

ZONE = dict(
    name=dict(type="str", required=True),
    role=dict(type="str", required=True, choices=["wan", "restricted", "dmz", "trusted"]),
    bridge=dict(type="str"),
    interfaces=dict(type="list", elements="str"),
    address=dict(type="list", elements="str"),
    networks=dict(type="list", elements="str"),
    gateway=dict(type="str"),
    services=dict(type="list", elements="str"),
    intra=dict(type="str", choices=["accept", "drop"], default="accept"),
    internet=dict(type="bool"),
)

HOST = dict(
    name=dict(type="str", required=True),
    zone=dict(type="str", required=True),
    address=dict(type="list", elements="str", required=True),
    isolated=dict(type="bool", default=False),
)

POLICY = {
    "name": dict(type="str", required=True),
    "from": dict(type="list", elements="str", required=True),
    "to": dict(type="list", elements="str", required=True),
    "proto": dict(type="str", choices=["tcp", "udp", "icmp", "any"], default="tcp"),
    "ports": dict(type="list", elements="str"),
    "action": dict(type="str", choices=["accept", "drop"], default="accept"),
    "log": dict(type="bool", default=False),
    "rate_limit": dict(type="str"),
}

PORT_FORWARD = {
    "name": dict(type="str", required=True),
    "proto": dict(type="str", choices=["tcp", "udp"], default="tcp"),
    "port": dict(type="str", required=True),
    "to": dict(type="str", required=True),
    "to_port": dict(type="int"),
    "from": dict(type="list", elements="str"),
    "wan": dict(type="list", elements="str"),
}

INPUT = {
    "name": dict(type="str", required=True),
    "from": dict(type="list", elements="str", required=True),
    "proto": dict(type="str", required=True),
    "ports": dict(type="list", elements="str"),
}


def argument_spec():
    return dict(
        state=dict(type="str", default="present",
                   choices=["present", "absent", "rendered", "gathered", "confirmed"]),
        zones=dict(type="list", elements="dict", options=ZONE),
        hosts=dict(type="list", elements="dict", options=HOST, default=[]),
        # elements checked by the model against POLICY, see above
        policies=dict(type="list", elements="dict", default=[]),
        policies_compact=dict(type="str"),
        port_forwards=dict(type="list", elements="dict", options=PORT_FORWARD, default=[]),
        inputs=dict(type="list", elements="dict", options=INPUT, default=[]),
        management_sources=dict(type="list", elements="str", default=[]),
        management_ports=dict(type="list", elements="int", default=[22]),
        nat_sources=dict(type="list", elements="str", default=[]),
        confirm_timeout=dict(type="int", default=0),
        # Controller side (the action, plugins/action/azb_zone.py): the module never sees them.
        confirm=dict(type="bool", default=False),
        confirm_port=dict(type="int"),
        **prerequisites.ARGUMENT_SPEC
    )
