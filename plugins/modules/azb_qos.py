#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_qos
short_description: Shape WAN links by traffic class (HTB, IFB), classify by zone, VM, DSCP, protocol, port
version_added: 0.2.0
description:
  - Shapes each declared WAN link at its rate, so the queue forms on the box (where it is ordered by
    class) and not in the ISP's modem. Each class has a guaranteed rate, a ceiling and a priority.
  - "Egress: HTB on the WAN interface. Packets are classified by nftables (table C(inet azblink_qos),
    forward hook, before NAT rewrites the source) by zone, host (VM), CIDR, protocol, port and DSCP,
    and marked with the class's DSCP; the class is handed to HTB as the packet priority."
  - "Ingress (O(links[].ingress)): the link's ingress is redirected to an IFB device (C(azbi-IFACE))
    shaped the same way; it is classified by u32 before conntrack, on remote address, protocol,
    remote port and DSCP. Rules that name a zone or host are egress-only (NAT hides them inbound)."
  - Leaf queues are fq_codel or sfq where the kernel has them (O(leaf_qdisc=auto) probes in a scratch
    network namespace), else a FIFO bounded to O(classes[].limit_ms) of the class's ceiling.
  - Persisted by C(azb-qos.service), which runs the same apply script at boot.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  state:
    description:
      - V(present) converges; V(absent) removes the qdiscs, IFB devices, nft table, files and unit.
      - V(rendered) returns every artifact without touching the box (V(auto) leaves render as FIFOs).
    type: str
    choices: [present, absent, rendered]
    default: present
  leaf_qdisc:
    description: The queue under each class; V(auto) picks fq_codel, then sfq, then a bounded FIFO.
    type: str
    choices: [auto, fq_codel, sfq, fifo]
    default: auto
  links:
    description: The shaped WAN links. Required for V(present) and V(rendered).
    type: list
    elements: dict
    suboptions:
      name: {description: Link name., type: str, required: true}
      interface: {description: Its L3 interface (the wan zone's bridge or port)., type: str, required: true}
      egress: {description: 'Upload rate, e.g. C(20mbit) (set a little under the line rate).', type: str, required: true}
      ingress: {description: 'Download rate; omitted: no ingress shaping.', type: str}
  classes:
    description:
      - Traffic classes, shared by every link. Rates are absolute (C(4mbit)) or a share of the link (C(20%)).
      - Default realtime (prio 0, 10%, ceil 30%, EF), interactive (1, 30%, AF41), default (2, 30%),
        bulk (3, 20%, CS1), ceilings 100% unless said.
    type: list
    elements: dict
    suboptions:
      name: {description: Class name., type: str, required: true}
      priority: {description: '0 (first) to 7: who gets spare bandwidth first, and the lowest latency.', type: int, default: 7}
      rate: {description: Guaranteed rate., type: str, required: true}
      ceil: {description: Ceiling (borrowing up to it)., type: str, default: 100%}
      dscp: {description: 'DSCP set on classified egress packets (name like C(ef) or 0-63).', type: str}
      limit_ms: {description: Depth of a FIFO leaf in milliseconds at the ceiling., type: int, default: 50}
  default_class:
    description: The class of unmatched traffic.
    type: str
    default: default
  rules:
    description: Classifiers, first match wins; every field given must match (lists match any item).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unique name., type: str, required: true}
      class: {description: The class matching traffic goes to., type: str, required: true}
      from: {description: 'Inside origins: zones, hosts (VMs) or CIDRs (egress only).', type: list, elements: str}
      to: {description: Remote CIDRs (matched as the source on ingress)., type: list, elements: str}
      proto: {description: Protocol., type: str, choices: [tcp, udp, icmp, any], default: any}
      ports: {description: 'Remote service ports or ranges C(a-b) (destination out, source in).', type: list, elements: str}
      dscp: {description: DSCP values the packet already carries., type: list, elements: str}
  zones:
    description: The zones of the box (the C(zones) role's C(azb_zones)); names and interfaces are used.
    type: list
    elements: dict
    default: []
  hosts:
    description: Named hosts (VMs) of the zones (the C(zones) role's C(azb_hosts)).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: 20 Mbit/s up, 100 Mbit/s down; voice first, the NVR zone last
  azblink.nfv.azb_qos:
    links:
      - {name: wan1, interface: wan1, egress: 20mbit, ingress: 100mbit}
    zones: "{{ azb_zones }}"
    hosts: "{{ azb_hosts }}"
    rules:
      - {name: sip, class: realtime, proto: udp, ports: ["5060", "10000-20000"]}
      - {name: marked-voice, class: realtime, dscp: [ef]}
      - {name: ssh, class: interactive, proto: tcp, ports: ["22"]}
      - {name: cameras, class: bulk, from: [nvr]}

- name: Review what would be loaded, without a box
  azblink.nfv.azb_qos:
    state: rendered
    links: [{name: wan1, interface: wan1, egress: 20mbit}]
  register: qos_plan
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/azblink/qos.tc", "apply /etc/azblink/qos.sh (qdiscs, classes, filters, nft table inet azblink_qos)"]
leaf_qdisc:
  description: The leaf queue used (after the capability probe).
  returned: when state is present or rendered
  type: str
  sample: fifo
shaping:
  description: Per link and direction, the rate and each class's id, rates and priority.
  returned: when state is present or rendered
  type: list
  elements: dict
  sample: [{"link": "wan1", "direction": "egress", "rate": "20mbit", "leaf": "fifo", "classes": []}]
rendered:
  description: Every file the module owns, by path.
  returned: when state is present or rendered
  type: dict
  sample: {"/etc/azblink/qos.nft": "table inet azblink_qos ..."}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.qos import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.qos import plan as qplan
from ansible_collections.azblink.nfv.plugins.module_utils.qos.adapter import Adapter, QosError
from ansible_collections.azblink.nfv.plugins.module_utils.qos.spec import argument_spec


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("links",)), ("state", "rendered", ("links",))])
    state = module.params["state"]
    runner = ModuleRunner(module, QosError)
    ad = Adapter(runner.run)
    if state == "absent":
        runner.converge(lambda: qplan.plan_absent(ad), lambda p: qplan.execute_absent(p, ad))

    site = runner.build(model.build)
    if state == "rendered":
        kind = render.leaf_kind(site.leaf, None)
        module.exit_json(changed=False, leaf_qdisc=kind, shaping=render.summary(site, kind),
                         rendered=render.files(site, kind))

    kind = render.leaf_kind(site.leaf, ad.capabilities() if site.leaf == "auto" else None)
    runner.converge(lambda: qplan.plan(site, kind, ad), lambda p: qplan.execute(p, ad),
                    dict(leaf_qdisc=kind, shaping=render.summary(site, kind), rendered=render.files(site, kind)))


if __name__ == "__main__":
    main()
