# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_qos (defaults that depend on other fields are applied by the model)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LINK = dict(
    name=dict(type="str", required=True),
    interface=dict(type="str", required=True),
    egress=dict(type="str", required=True),
    ingress=dict(type="str"),
)

CLASS = dict(
    name=dict(type="str", required=True),
    priority=dict(type="int", default=7),
    rate=dict(type="str", required=True),
    ceil=dict(type="str", default="100%"),
    dscp=dict(type="str"),
    limit_ms=dict(type="int", default=50),
)

RULE = {
    "name": dict(type="str", required=True),
    "class": dict(type="str", required=True),
    "from": dict(type="list", elements="str"),
    "to": dict(type="list", elements="str"),
    "proto": dict(type="str", choices=["tcp", "udp", "icmp", "any"], default="any"),
    "ports": dict(type="list", elements="str"),
    "dscp": dict(type="list", elements="str"),
}


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent", "rendered"]),
        leaf_qdisc=dict(type="str", default="auto", choices=["auto", "fq_codel", "sfq", "fifo"]),
        links=dict(type="list", elements="dict", options=LINK),
        classes=dict(type="list", elements="dict", options=CLASS),
        default_class=dict(type="str", default="default"),
        rules=dict(type="list", elements="dict", options=RULE, default=[]),
        zones=dict(type="list", elements="dict", default=[]),
        hosts=dict(type="list", elements="dict", default=[]),
    )
