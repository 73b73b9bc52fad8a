#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_evidence
short_description: Probe an appliance's live zone matrix and compare it with the declared one
version_added: 0.1.0
description:
  - Plugs one throwaway network namespace into each zone bridge (a probe address near the end of
    the zone's subnet), runs a TCP listener in every destination zone and, from every zone, tries a
    bounded connection to every other zone; a wan zone with a bridge is probed as a source only (the
    outside looking in). The namespaces are removed afterwards, also when a probe fails.
  - The expected matrix comes from the same zone model the firewall is compiled from (declared
    policies first, drops before accepts, then the role matrix), so the report proves the running
    ruleset against the inventory, cell by cell.
  - Also reports the live ruleset's SHA-256, WAN state, VMs and WireGuard peers.
  - Changes nothing that outlives the run; always reports C(changed=false).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common.read_only
  - azblink.nfv.common
options:
  zones:
    description: The zones, as given to M(azblink.nfv.azb_zone).
    type: list
    elements: dict
    required: true
  hosts:
    description: Named hosts, as given to M(azblink.nfv.azb_zone).
    type: list
    elements: dict
    default: []
  policies:
    description: Policies, as given to M(azblink.nfv.azb_zone).
    type: list
    elements: dict
    default: []
  port_forwards:
    description: Port forwards, as given to M(azblink.nfv.azb_zone) (reported, not probed).
    type: list
    elements: dict
    default: []
  management_sources:
    description: Management sources, as given to M(azblink.nfv.azb_zone).
    type: list
    elements: str
    default: []
  management_ports:
    description: Management ports, as given to M(azblink.nfv.azb_zone).
    type: list
    elements: raw
    default: [22]
  probe_port:
    description: The TCP port of the matrix probes (pick one no policy names unless you mean to test it).
    type: int
    default: 9
  probe_timeout:
    description: Seconds a probe waits for its connection before calling it refused.
    type: float
    default: 1.5
requirements:
  - iproute2 and python3 on the appliance
"""

EXAMPLES = r"""
- name: Probe the zone matrix
  azblink.nfv.azb_evidence:
    zones: "{{ azb_zones }}"
    hosts: "{{ azb_hosts }}"
    policies: "{{ azb_policies }}"
  register: evidence

- name: Fail on a cell that differs from the inventory
  ansible.builtin.assert:
    that: evidence.mismatches == 0
"""

RETURN = r"""
cells:
  description: One entry per probe, with what the inventory expects and what was observed.
  returned: always
  type: list
  elements: dict
  sample: [{"from": "office", "to": "lab", "src": "10.3.0.253", "dst": "10.1.0.253", "proto": "tcp", "port": 9,
            "expected": "allowed", "observed": "allowed", "ok": true, "why": "trusted -> restricted default (open)"}]
mismatches:
  description: How many cells differ from the inventory.
  returned: always
  type: int
ruleset_sha256:
  description: SHA-256 of the live ruleset as C(nft -s -n list ruleset) prints it (the audit records' and metrics' hash).
  returned: always
  type: str
probed_at:
  description: When the probes ran (UTC, ISO 8601).
  returned: always
  type: str
probe_seconds:
  description: How long the probes took.
  returned: always
  type: float
wan:
  description: The WAN health service's view (active WAN, up/down per WAN), or null without it.
  returned: always
  type: dict
vms:
  description: Libvirt domains and whether they run.
  returned: always
  type: list
  elements: dict
tunnel_peers:
  description: WireGuard peers and their last handshake (Unix time).
  returned: always
  type: list
  elements: dict
"""

import datetime
import time

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model
from ansible_collections.azblink.nfv.plugins.module_utils.evidence import expect, facts, probe


def main():
    module = AuditedModule(
        argument_spec=dict(
            zones=dict(type="list", elements="dict", required=True),
            hosts=dict(type="list", elements="dict", default=[]),
            policies=dict(type="list", elements="dict", default=[]),
            port_forwards=dict(type="list", elements="dict", default=[]),
            management_sources=dict(type="list", elements="str", default=[]),
            management_ports=dict(type="list", elements="raw", default=[22]),
            probe_port=dict(type="int", default=9),
            probe_timeout=dict(type="float", default=1.5),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        site = model.build(p)
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    cells = expect.expected(site, "tcp", p["probe_port"])
    zones = []
    for z in expect.probe_zones(site):
        iface, addr = expect.probe_address(z)
        zones.append((z.name, z.bridge, addr, iface.network.prefixlen, iface.ip))
    started = time.monotonic()
    when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    try:
        observed = probe.probe_matrix(zones, cells, p["probe_timeout"])
    except (RuntimeError, OSError) as exc:
        module.fail_json(msg="probing failed (the probe namespaces were removed): %s" % exc)
    cells = expect.compare(cells, observed)
    module.exit_json(changed=False, cells=cells, mismatches=len([c for c in cells if not c["ok"]]),
                     ruleset_sha256=facts.ruleset_sha256(), probed_at=when,
                     probe_seconds=round(time.monotonic() - started, 2), wan=facts.wan_state(),
                     vms=facts.vms(), tunnel_peers=facts.tunnel_peers())


if __name__ == "__main__":
    main()
