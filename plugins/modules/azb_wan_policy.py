#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_wan_policy
short_description: Multi-WAN failover and balancing, policy routing, per-VM breakout and split DNS
version_added: 0.1.0
description:
  - Owns the appliance's WAN links, routing tables, policy-routing rules and split DNS.
  - Every new connection is marked once (nftables table C(inet azblink_wan)) and the mark is kept in
    conntrack, so a flow stays on its WAN for its whole life (never per packet); connections that
    arrive on a WAN are pinned to it, so replies leave by the link they came in on.
  - A health service (C(azb-wan-health.service), installed by the C(wan) role) probes each WAN
    (ICMP, TCP, HTTP, DNS; quorum, down/up thresholds, hold-down) and, on a transition, rewrites the
    marking maps in one nft transaction and the default route in one netlink operation.
  - Route policies send traffic by source zone, host (VM) or CIDR, destination and port to a WAN or a
    tunnel (a routing table), with O(policies[].on_failure=fail_closed) blackholing it while its path
    is down.
  - Split DNS runs one dnsmasq per zone named in O(split_dns), forwarding the declared domains to their
    resolvers and the rest to the WANs' resolvers, with DNS-rebinding protection that exempts the
    internal domains.
  - Zones (the C(zones) role) still own the WAN interfaces' addresses and the firewall/NAT; leave the
    wan zones' C(gateway) out, this module owns every WAN route.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
  - azblink.nfv.prerequisites
options:
  state:
    description:
      - V(present) converges; V(absent) removes the table, rules, routes, files and services.
      - V(rendered) returns every artifact without touching or reading the box.
    type: str
    choices: [present, absent, rendered]
    default: present
  mode:
    description: V(failover) sends new connections to the healthy WAN of lowest priority; V(balance)
      spreads them over the healthy WANs by weight, per connection.
    type: str
    choices: [failover, balance]
    default: failover
  wans:
    description: The uplinks. Required for V(present) and V(rendered).
    type: list
    elements: dict
    suboptions:
      name: {description: WAN name (used in policies)., type: str, required: true}
      interface: {description: The L3 interface of the link (the wan zone's bridge or port)., type: str, required: true}
      address: {description: Its static addresses (CIDR)., type: list, elements: str}
      gateway: {description: Next hop (static WANs)., type: str}
      dhcp: {description: The gateway comes from a DHCP lease on the interface., type: bool, default: false}
      weight: {description: Share of new connections in balance mode (0 is backup only)., type: int, default: 1}
      priority: {description: 'Lower is preferred in failover mode (default 10, 20, ... in order).', type: int}
      table: {description: 'Routing table id (default 101, 102, ...).', type: int}
      dns: {description: The resolvers of this WAN (split DNS sends everything else there)., type: list, elements: str}
      health:
        description: Health checks.
        type: dict
        suboptions:
          targets: {description: ICMP echo targets., type: list, elements: str}
          probes:
            description: Further probes.
            type: list
            elements: dict
            suboptions:
              type: {description: Probe kind., type: str, choices: [icmp, tcp, http, dns], default: icmp}
              target: {description: 'Address probed (icmp, tcp, dns).', type: str}
              port: {description: TCP port., type: int}
              url:
                description: The URL of http probes, C(http://IP[:port]/path) (probes do not depend on DNS).
                type: str
              query: {description: Name asked by dns probes., type: str}
          quorum:
            description: Of the latest result of each probe, how many must be answers for an answer to
              end a run of failures (and to count towards coming back); the decision is on the aggregate.
            type: int
            default: 1
          interval_ms:
            description: Time between probes; one at a time, round-robin over the targets and probes.
            type: int
            default: 200
          confirm_ms:
            description: Time between probes after one went unanswered, until one answers or the WAN
              goes down (the confirm burst; at most the interval).
            type: int
            default: 100
          timeout_ms:
            description: The longest a probe waits for its answer; the wait adapts to the probe's measured
              round trip (smoothed RTT + 4 x its variation + 20 ms, at least 100 ms).
            type: int
            default: 300
          down: {description: Unanswered probes in a row that take the WAN down (carrier loss is at once)., type: int, default: 3}
          down_window_ms:
            description: ... and the time over which those unanswered probes must have been sent, so a
              loss burst shorter than this never takes the WAN down.
            type: int
            default: 400
          up: {description: Answered probes in a row before it may come back., type: int, default: 5}
          hold_down_s: {description: Seconds of uninterrupted health before it comes back., type: int, default: 10}
  tunnels:
    description: Tunnels usable as a policy's V(via) (per-VM VPN breakout); the health service routes
      their table into the interface while it is up.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Tunnel name., type: str, required: true}
      interface: {description: Its interface., type: str, required: true}
      table: {description: Its routing table id., type: int, required: true}
      gateway: {description: Next hop inside the tunnel (point-to-point links need none)., type: str}
  zones:
    description: The zones of the box (the C(zones) role's C(azb_zones)); names and networks are used.
    type: list
    elements: dict
    default: []
  hosts:
    description: Named hosts (VMs) of the zones (the C(zones) role's C(azb_hosts)).
    type: list
    elements: dict
    default: []
  policies:
    description: Route policies, first match wins.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unique name., type: str, required: true}
      from: {description: 'Source zones, hosts or CIDRs.', type: list, elements: str}
      to: {description: Destination CIDRs., type: list, elements: str}
      proto: {description: Protocol., type: str, choices: [tcp, udp, any], default: any}
      ports: {description: Destination ports or ranges C(a-b)., type: list, elements: str}
      via: {description: A WAN or tunnel name., type: str, required: true}
      on_failure:
        description: While the path is down, V(fallback) uses the best healthy WAN, V(fail_closed) drops.
        type: str
        choices: [fallback, fail_closed]
        default: fallback
  split_dns:
    description: Split-DNS views.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unique name., type: str, required: true}
      from: {description: Zones whose clients get this view., type: list, elements: str, required: true}
      domains: {description: Domains forwarded., type: list, elements: str, required: true}
      servers: {description: Resolvers they are forwarded to., type: list, elements: str, required: true}
      rebind_ok: {description: Allow private answers for these domains (internal names)., type: bool, default: true}
  rebind_protection:
    description: Refuse private addresses in public answers (DNS rebinding).
    type: bool
    default: true
  rebind_ok_domains:
    description:
      - Public domains whose answers may be in ranges the protection treats as private (dnsmasq counts
        the documentation ranges among them, so a lab's internet needs its domain here).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Two ISPs, failover, a VM on wan2, a compliance VM only through its tunnel, split DNS
  azblink.nfv.azb_wan_policy:
    wans:
      - name: wan1
        interface: wan1
        address: [192.0.2.26/29]
        gateway: 192.0.2.25
        dns: [203.0.113.53]
        health: {targets: [203.0.113.1, 203.0.113.2], probes: [{type: http, url: "http://203.0.113.10/"}]}
      - name: wan2
        interface: wan2
        address: [198.51.100.26/29]
        gateway: 198.51.100.25
        dns: [203.0.113.53]
        health: {targets: [203.0.113.1, 203.0.113.3]}
    tunnels:
      - {name: corpvpn, interface: wg-corp, table: 150}
    zones: "{{ azb_zones }}"
    hosts: "{{ azb_hosts }}"
    policies:
      - {name: vip, from: [10.3.0.60], via: wan2}
      - {name: compliance, from: [pos1], via: corpvpn, on_failure: fail_closed}
    split_dns:
      - {name: corp, from: [office], domains: [corp.example], servers: [10.8.0.53]}
"""

RETURN = r"""
prerequisites:
  description: What the O(prerequisites) pass did (or would do, in check mode), in the keys M(azblink.nfv.azb_files) returns.
  returned: when O(prerequisites) is given and the module converges
  type: dict
  sample: {"changed_paths": [], "changes": {}, "installed_packages": ["ulogd2"], "changed_units": {"ulogd2.service": ["start"]}}
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["nft: replace table inet azblink_wan", "ip rule add 1001 fwmark 0x1/0xff lookup 101"]
rendered:
  description: Every file the module owns, by path, plus the rules and routes.
  returned: when state is rendered or present
  type: dict
  sample: {"files": {"/etc/azblink/wan.nft": "table inet azblink_wan ..."}, "rules": [], "routes": {}}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.wan import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.wan import plan as wplan
from ansible_collections.azblink.nfv.plugins.module_utils.wan.adapter import Adapter, WanError
from ansible_collections.azblink.nfv.plugins.module_utils.wan.spec import argument_spec


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("wans",)), ("state", "rendered", ("wans",))])
    state = module.params["state"]
    runner = ModuleRunner(module, WanError)
    ad = Adapter(runner.run)
    if state == "absent":
        runner.converge(lambda: wplan.plan_absent(ad), lambda p: wplan.execute_absent(p, ad))

    site = runner.build(model.build)
    rendered = {"files": render.files(site), "rules": render.rules(site),
                "routes": dict((str(k), v) for k, v in render.routes(site).items())}
    if state == "rendered":
        module.exit_json(changed=False, rendered=rendered)
    module.converge_prerequisites()
    runner.converge(lambda: wplan.plan(site, ad), lambda p: wplan.execute(p, ad), dict(rendered=rendered))


if __name__ == "__main__":
    main()
