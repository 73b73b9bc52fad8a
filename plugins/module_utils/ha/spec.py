# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_ha."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VIP = dict(
    zone=dict(type="str", required=True),
    vrid=dict(type="int", required=True),
    address=dict(type="str", required=True),
    snat=dict(type="bool", default=False),
)

SYNC = dict(
    zone=dict(type="str", required=True),
    port=dict(type="int", default=3780),
)

WAN_CHECK = dict(
    zone=dict(type="str", required=True),
    targets=dict(type="list", elements="str", required=True),
    interval_s=dict(type="int", default=1),
    fall=dict(type="int", default=2),
    rise=dict(type="int", default=2),
)


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent", "rendered"]),
        node=dict(type="str"),
        pair=dict(type="list", elements="str"),
        priorities=dict(type="dict"),
        preempt=dict(type="bool", default=False),
        preempt_delay_s=dict(type="int", default=0),
        advert_ms=dict(type="int", default=250),
        vips=dict(type="list", elements="dict", options=VIP),
        sync=dict(type="dict", options=SYNC),
        wan_check=dict(type="dict", options=WAN_CHECK),
        watchdog_units=dict(type="list", elements="str"),
        zones=dict(type="list", elements="dict", default=[]),
        peer_zones=dict(type="list", elements="dict", default=[]),
    )
