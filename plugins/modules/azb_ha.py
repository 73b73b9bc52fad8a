#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_ha
short_description: One node of an HA pair (keepalived VRRP gateways, conntrackd state sync, watchdogs)
version_added: 0.2.0
description:
  - The two appliances of O(pair) share each zone gateway address of O(vips) by VRRP (keepalived,
    VRRPv3, one sync group so every address moves together), sync their connection tracking state
    with conntrackd (FTFW over UDP on the O(sync) zone), and track their WAN (O(wan_check)) so a
    node whose WAN is dead gives the addresses up.
  - On becoming master a node commits the peer's connections into its kernel, so established flows
    (and their NAT mapping, since inside traffic leaves from the shared WAN address, O(vips[].snat)) survive.
  - No preemption unless O(preempt); systemd restarts keepalived, conntrackd and O(watchdog_units)
    whenever they die.
  - Both nodes are rendered from the same inventory; converge the pair one node at a time
    (C(serial=1)). The zones firewall must admit VRRP and the sync port; the C(azb_site_inputs)
    filter adds them from C(azb_ha).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  state:
    description: V(present), V(absent) (services stopped and disabled, files removed), V(rendered).
    type: str
    choices: [present, absent, rendered]
    default: present
  node:
    description: This appliance (its inventory name). Required unless V(absent).
    type: str
  pair:
    description: The two appliances of the pair (inventory names). Required unless V(absent).
    type: list
    elements: str
  priorities:
    description: VRRP priority by appliance (default 150 for the first of the pair, 100 for the second).
    type: dict
  preempt:
    description: Whether a returning node of higher priority takes the addresses back.
    type: bool
    default: false
  preempt_delay_s:
    description: With O(preempt), seconds a returning node waits before it takes over.
    type: int
    default: 0
  advert_ms:
    description: VRRP advertisement interval (VRRPv3, multiple of 10 ms); the backup takes over after 3 missed.
    type: int
    default: 250
  vips:
    description: Shared gateway addresses, one per zone.
    type: list
    elements: dict
    suboptions:
      zone: {description: The zone (its bridge or first interface carries the address)., type: str, required: true}
      vrid: {description: VRRP id (1-255) unique in the pair's segments., type: int, required: true}
      address: {description: The shared address with its prefix (a third address of the zone's network)., type: str, required: true}
      snat: {description: A wan zone's shared address is the egress address of the inside zones., type: bool, default: false}
  sync:
    description: Where conntrackd syncs (the nodes' own addresses in this zone).
    type: dict
    suboptions:
      zone: {description: The zone., type: str, required: true}
      port: {description: UDP port., type: int, default: 3780}
  wan_check:
    description: WAN health tracked by keepalived (a node whose WAN fails goes to FAULT and gives the addresses up).
    type: dict
    suboptions:
      zone: {description: The wan zone probed through., type: str, required: true}
      targets: {description: Addresses pinged (any answer is good)., type: list, elements: str, required: true}
      interval_s: {description: Seconds between checks., type: int, default: 1}
      fall: {description: Failed checks before FAULT., type: int, default: 2}
      rise: {description: Good checks before it may be master again., type: int, default: 2}
  watchdog_units:
    description: Services systemd restarts whenever they die (default keepalived and conntrackd).
    type: list
    elements: str
  zones:
    description: This node's zones (the C(zones) role's C(azb_zones)).
    type: list
    elements: dict
    default: []
  peer_zones:
    description: The peer's zones (C(hostvars[peer].azb_zones)).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: This node of the pair
  azblink.nfv.azb_ha:
    node: "{{ inventory_hostname }}"
    pair: [edge-a, edge-b]
    vips:
      - {zone: office, vrid: 51, address: 10.3.0.1/24}
      - {zone: wan, vrid: 52, address: 198.51.100.4/29, snat: true}
    sync: {zone: office}
    wan_check: {zone: wan, targets: [198.51.100.1]}
    zones: "{{ azb_zones }}"
    peer_zones: "{{ hostvars['edge-b' if inventory_hostname == 'edge-a' else 'edge-a'].azb_zones }}"
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/keepalived/keepalived.conf", "reload keepalived.service"]
priority:
  description: This node's VRRP priority.
  returned: when state is present or rendered
  type: int
  sample: 150
rendered:
  description: Every file the module owns, by path.
  returned: when state is present or rendered
  type: dict
  sample: {"/etc/keepalived/keepalived.conf": "global_defs ..."}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.ha import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.ha import plan as hplan
from ansible_collections.azblink.nfv.plugins.module_utils.ha.adapter import Adapter, HaError
from ansible_collections.azblink.nfv.plugins.module_utils.ha.spec import argument_spec


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("node", "pair", "vips", "sync")),
                                        ("state", "rendered", ("node", "pair", "vips", "sync"))])
    state = module.params["state"]
    runner = ModuleRunner(module, HaError)
    ad = Adapter(runner.run)
    if state == "absent":
        units = module.params["watchdog_units"] or model.DEFAULT_WATCHDOG_UNITS
        runner.converge(lambda: hplan.plan_absent(ad, units), lambda p: hplan.execute_absent(p, ad))

    node = runner.build(model.build)
    if state == "rendered":
        module.exit_json(changed=False, priority=node.priority, rendered=render.files(node))
    runner.converge(lambda: hplan.plan(node, ad), lambda p: hplan.execute(p, ad),
                    dict(priority=node.priority, rendered=render.files(node)))


if __name__ == "__main__":
    main()
