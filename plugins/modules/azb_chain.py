#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_chain
short_description: Service chains through VNFs in network namespaces (vFW, Suricata IPS, squid proxy)
version_added: 0.1.0
description:
  - Steers a classified part of the traffic (from zones, hosts or CIDRs, to CIDRs or any, protocol,
    ports) through an ordered list of hops, then out of an exit (a WAN or a tunnel, by the routing
    table C(azb_wan_policy) / C(azb_vpn) keep).
  - Each hop is served by one or more VNF instances (connections spread over them by a symmetric
    hash); replies cross the same hops in reverse, also after the exit's NAT.
  - Each VNF runs in its own network namespace C(azbv-NAME) as C(azb-vnf@NAME.service) with its own
    log under C(/var/log/azblink/vnf/NAME/) - V(nftables) a firewall (mode V(routed)),
    V(suricata) an IPS on NFQUEUE (mode V(inline); V(ips) drops, V(ids) only alerts, C(eve.json)),
    V(squid) an intercepting proxy (mode V(proxy)).
  - A V(vm) VNF is a libvirt guest of C(azb_vms) that routes (mode V(routed)) - its NICs join the
    bridges C(azbhNAMEi) (in, its eth0) and C(azbhNAMEo) (out, eth1), which C(azb-vnf@NAME.service)
    makes; C(vm_guests) in RV(rendered) gives its NICs and addresses (and the lab guest's kernel command line).
  - C(azb-chain-health.service) probes every instance through its data path (an HTTP request
    that must be forwarded by it both ways) and rewrites the steering maps in one nft transaction
    when one fails or recovers; a hop with no healthy instance is skipped (V(bypass)) or its
    traffic dropped (V(block), the default except for proxies).
  - The steering table is C(inet azblink_chain); the marks use bits 16..31 (bits 0..15 stay
    C(azb_wan_policy)'s); ip rules at preference 950.
  - The C(chains) role installs the VNF packages and the services' scripts and calls this module.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  state:
    description:
      - V(present) converges; V(absent) removes the table, rules, VNFs, files and services.
      - V(rendered) returns every artifact without touching the box; V(gathered) reports what runs.
    type: str
    choices: [present, absent, rendered, gathered]
    default: present
  service_network:
    description:
      - IPv4 network (at least /22) for the links between the box and its VNFs (a /29 each) and, in
        its last /24, the health-probe namespaces. Must not be used elsewhere.
    type: str
    default: 10.255.0.0/16
  vnfs:
    description: The VNF instances (each a network namespace and a unit).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: 'Unique name, at most 10 characters.', type: str, required: true}
      kind: {description: What it runs., type: str, required: true, choices: [nftables, suricata, squid, vm]}
      config:
        description:
          - Per kind. V(nftables) - C(policy) (V(drop) default) and C(rules) (nft rules of its forward chain).
          - V(suricata) - C(ips_mode) (V(ips) or V(ids)) and C(rules) (Suricata rules; in V(ips) mode
            C(alert) rules drop, in V(ids) mode C(drop) rules only alert).
          - V(squid) - C(intercept_ports) (default V([80])) and C(allow) (client CIDRs, default all).
          - V(vm) - C(vm), the name of a VM in O(vms) whose first two NICs are on its bridges.
        type: dict
        default: {}
  chains:
    description: The chains. Their classifiers may not overlap.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unique name., type: str, required: true}
      from: {description: 'Source zones, hosts or CIDRs.', type: list, elements: str, required: true}
      to: {description: 'Destination CIDRs, or V(any).', type: list, elements: str, default: [any]}
      proto: {description: Protocol., type: str, choices: [tcp, udp, icmp, any], default: any}
      ports: {description: 'Destination ports or ranges C(a-b) (tcp, udp).', type: list, elements: str, default: []}
      hops:
        description: The ordered hops.
        type: list
        elements: dict
        required: true
        suboptions:
          name: {description: Unique in the chain., type: str, required: true}
          instances: {description: VNF names serving this hop (one chain per VNF)., type: list, elements: str, required: true}
          mode: {description: Defaults to the VNFs' kind., type: str, choices: [routed, inline, proxy]}
          on_failure:
            description: With no healthy instance, V(bypass) skips the hop, V(block) drops its traffic.
              Default V(block), V(bypass) for proxies.
            type: str
            choices: [bypass, block]
          health:
            description: The health check (an HTTP request through the instance).
            type: dict
            suboptions:
              interval_ms: {description: Time between probes., type: int, default: 100}
              timeout_ms: {description: How long a probe waits., type: int, default: 300}
              down: {description: Failed probes in a row that take an instance down., type: int, default: 3}
              up: {description: Good probes in a row that bring it back., type: int, default: 3}
      exit:
        description: Where the chain's traffic leaves.
        type: dict
        required: true
        suboptions:
          via: {description: A WAN (O(wans)) or tunnel (O(tunnels)) name., type: str, required: true}
          on_failure:
            description:
              - When the exit's table has no route for a packet (its WAN or tunnel is down).
              - V(fallback) lets the box's main table route it (another WAN); V(fail_closed) drops it.
              - Default V(fail_closed) for a tunnel (never out of a WAN in clear), V(fallback) for a WAN.
            type: str
            choices: [fallback, fail_closed]
  zones:
    description: The zones of the box (the C(zones) role's C(azb_zones)); names, bridges and networks are used.
    type: list
    elements: dict
    default: []
  hosts:
    description: Named hosts (the C(zones) role's C(azb_hosts)).
    type: list
    elements: dict
    default: []
  wans:
    description: The WANs (the C(wan) role's C(azb_wans)); C(name) and C(table) (default 101, 102, ... as azb_wan_policy).
    type: list
    elements: dict
    default: []
  tunnels:
    description: Tunnels usable as exits (C(name), C(table)).
    type: list
    elements: dict
    default: []
  vms:
    description:
      - The VMs (the C(workloads) role's C(azb_vms)); a V(vm) VNF must name one of them, with its first
        two NICs on the VNF's bridges. Omitted, a V(vm) VNF's VM is not checked.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Office web traffic through a firewall, an IPS and a proxy, out of wan2
  azblink.nfv.azb_chain:
    zones: "{{ azb_zones }}"
    wans: "{{ azb_wans }}"
    vnfs:
      - {name: fw1, kind: nftables, config: {rules: ["tcp dport { 80, 443 } accept"]}}
      - name: ips1
        kind: suricata
        config:
          ips_mode: ips
          rules: ['alert http any any -> any any (msg:"test"; content:"evil"; http_uri; sid:1000001;)']
      - {name: proxy1, kind: squid}
    chains:
      - name: office-web
        from: [office]
        proto: tcp
        ports: [80]
        hops:
          - {name: fw, instances: [fw1]}
          - {name: ips, instances: [ips1], on_failure: block}
          - {name: proxy, instances: [proxy1], on_failure: bypass}
        exit: {via: wan2}
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: when state is present or absent
  type: list
  elements: str
  sample: ["nft: replace table inet azblink_chain", "start azb-vnf@fw1.service"]
rendered:
  description:
    - Every file the module owns, by path, and the ip rules.
    - C(vm_guests) - per V(vm) VNF what its guest needs (NICs, addresses, the lab guest's command line).
  returned: when state is rendered or present
  type: dict
  sample: {"files": {"/etc/azblink/chain/chain.nft": "table inet azblink_chain ..."}, "rules": []}
gathered:
  description: What runs - VNF units and health, the health service's last transitions, the rules.
  returned: when state is gathered
  type: dict
  sample: {"vnfs": {"fw1": {"active": true, "healthy": true}}, "health_service": true}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.chain import plan as cplan
from ansible_collections.azblink.nfv.plugins.module_utils.chain.adapter import Adapter, ChainError
from ansible_collections.azblink.nfv.plugins.module_utils.chain.spec import argument_spec
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    state = module.params["state"]
    runner = ModuleRunner(module, ChainError)
    ad = Adapter(runner.run)
    if state == "gathered":
        module.exit_json(changed=False, gathered=cplan.gathered(ad))
    if state == "absent":
        runner.converge(lambda: cplan.plan_absent(ad), lambda p: cplan.execute_absent(p, ad))

    site = runner.build(model.build)
    rendered = {"files": render.files(site), "rules": render.rules(site), "vm_guests": render.vm_guests(site)}
    if state == "rendered":
        module.exit_json(changed=False, rendered=rendered)
    runner.converge(lambda: cplan.plan(site, ad), lambda p: cplan.execute(p, ad), dict(rendered=rendered))


if __name__ == "__main__":
    main()
