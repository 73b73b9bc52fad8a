# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of azb_services (the catalog entries are validated by the model, with field paths)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SERVICE = dict(
    name=dict(type="str", required=True),
    version=dict(type="str", required=True),
    state=dict(type="str", choices=["started", "stopped", "absent"], default="started"),
    config=dict(type="dict"),
)


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "rendered", "gathered"]),
        catalog=dict(type="list", elements="dict", default=[]),
        services=dict(type="list", elements="dict", options=SERVICE, default=[]),
        tenant=dict(type="str"),
        tenants=dict(type="dict", default={}),
    )
