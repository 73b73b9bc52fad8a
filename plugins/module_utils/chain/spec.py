# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_chain (defaults that depend on other fields are applied by the model)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HEALTH = dict(
    interval_ms=dict(type="int", default=100),
    timeout_ms=dict(type="int", default=300),
    down=dict(type="int", default=3),
    up=dict(type="int", default=3),
)

HOP = dict(
    name=dict(type="str", required=True),
    instances=dict(type="list", elements="str", required=True),
    mode=dict(type="str", choices=["routed", "inline", "proxy"]),
    on_failure=dict(type="str", choices=["bypass", "block"]),
    health=dict(type="dict", options=HEALTH),
)

CHAIN = dict(
    name=dict(type="str", required=True),
    # 'from' is a Python keyword: aliases keep the inventory spelling.
    **{"from": dict(type="list", elements="str", required=True),
       "to": dict(type="list", elements="str", default=["any"]),
       "proto": dict(type="str", choices=["tcp", "udp", "icmp", "any"], default="any"),
       "ports": dict(type="list", elements="str", default=[]),
       "hops": dict(type="list", elements="dict", required=True, options=HOP),
       "exit": dict(type="dict", required=True, options=dict(
           via=dict(type="str", required=True),
           on_failure=dict(type="str", choices=["fallback", "fail_closed"])))}
)

VNF = dict(
    name=dict(type="str", required=True),
    kind=dict(type="str", required=True, choices=["nftables", "suricata", "squid", "vm"]),
    config=dict(type="dict", default={}),
)


def argument_spec():
    return dict(
        state=dict(type="str", choices=["present", "absent", "rendered", "gathered"], default="present"),
        service_network=dict(type="str", default="10.255.0.0/16"),
        vnfs=dict(type="list", elements="dict", default=[], options=VNF),
        chains=dict(type="list", elements="dict", default=[], options=CHAIN),
        zones=dict(type="list", elements="dict", default=[]),
        hosts=dict(type="list", elements="dict", default=[]),
        wans=dict(type="list", elements="dict", default=[]),
        tunnels=dict(type="list", elements="dict", default=[]),
        vms=dict(type="list", elements="dict"),
    )
