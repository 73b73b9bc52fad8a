# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_edge_services (defaults that depend on the mode are applied by the model)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HEALTH = dict(
    type=dict(type="str", choices=["tcp", "http"]),
    path=dict(type="str", default="/"),
    interval_ms=dict(type="int", default=300),
    timeout_ms=dict(type="int", default=300),
    fall=dict(type="int", default=2),
    rise=dict(type="int", default=2),
)

SERVER = dict(
    name=dict(type="str", required=True),
    address=dict(type="str", required=True),
    port=dict(type="int", required=True),
)

BALANCER = dict(
    name=dict(type="str", required=True),
    mode=dict(type="str", choices=["tcp", "http"], default="http"),
    bind=dict(type="str", required=True),
    certificate=dict(type="str"),
    balance=dict(type="str", choices=["roundrobin", "leastconn", "source"], default="roundrobin"),
    client_source=dict(type="str", choices=["none", "forwarded", "proxy"]),
    health=dict(type="dict", options=HEALTH),
    servers=dict(type="list", elements="dict", options=SERVER, required=True),
    clients=dict(type="list", elements="str", default=[]),
)

PROXY = dict(
    port=dict(type="int", default=3128),
    listen=dict(type="list", elements="str", default=[]),
    allow=dict(type="list", elements="str", required=True),
    deny_domains=dict(type="list", elements="str", default=[]),
    dns=dict(type="list", elements="str", default=[]),
)


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent", "rendered", "gathered"]),
        load_balancers=dict(type="list", elements="dict", options=BALANCER, default=[]),
        forward_proxy=dict(type="dict", options=PROXY),
        zones=dict(type="list", elements="dict", default=[]),
    )
