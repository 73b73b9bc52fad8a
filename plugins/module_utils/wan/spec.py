# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_wan_policy (defaults that depend on position are applied by the model)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites

PROBE = dict(
    type=dict(type="str", choices=["icmp", "tcp", "http", "dns"], default="icmp"),
    target=dict(type="str"),
    port=dict(type="int"),
    url=dict(type="str"),
    query=dict(type="str"),
)

HEALTH = dict(
    targets=dict(type="list", elements="str"),
    probes=dict(type="list", elements="dict", options=PROBE),
    quorum=dict(type="int", default=1),
    interval_ms=dict(type="int", default=200),
    confirm_ms=dict(type="int", default=100),
    timeout_ms=dict(type="int", default=300),
    down=dict(type="int", default=3),
    down_window_ms=dict(type="int", default=400),
    up=dict(type="int", default=5),
    hold_down_s=dict(type="int", default=10),
)

WAN = dict(
    name=dict(type="str", required=True),
    interface=dict(type="str", required=True),
    address=dict(type="list", elements="str"),
    gateway=dict(type="str"),
    dhcp=dict(type="bool", default=False),
    weight=dict(type="int", default=1),
    priority=dict(type="int"),
    table=dict(type="int"),
    dns=dict(type="list", elements="str"),
    health=dict(type="dict", options=HEALTH),
)

TUNNEL = dict(
    name=dict(type="str", required=True),
    interface=dict(type="str", required=True),
    table=dict(type="int", required=True),
    gateway=dict(type="str"),
)

POLICY = {
    "name": dict(type="str", required=True),
    "from": dict(type="list", elements="str"),
    "to": dict(type="list", elements="str"),
    "proto": dict(type="str", choices=["tcp", "udp", "any"], default="any"),
    "ports": dict(type="list", elements="str"),
    "via": dict(type="str", required=True),
    "on_failure": dict(type="str", choices=["fallback", "fail_closed"], default="fallback"),
}

SPLIT_DNS = {
    "name": dict(type="str", required=True),
    "from": dict(type="list", elements="str", required=True),
    "domains": dict(type="list", elements="str", required=True),
    "servers": dict(type="list", elements="str", required=True),
    "rebind_ok": dict(type="bool", default=True),
}


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent", "rendered"]),
        mode=dict(type="str", default="failover", choices=["failover", "balance"]),
        wans=dict(type="list", elements="dict", options=WAN),
        tunnels=dict(type="list", elements="dict", options=TUNNEL, default=[]),
        zones=dict(type="list", elements="dict", default=[]),
        hosts=dict(type="list", elements="dict", default=[]),
        policies=dict(type="list", elements="dict", options=POLICY, default=[]),
        split_dns=dict(type="list", elements="dict", options=SPLIT_DNS, default=[]),
        rebind_protection=dict(type="bool", default=True),
        rebind_ok_domains=dict(type="list", elements="str", default=[]),
        **prerequisites.ARGUMENT_SPEC
    )
