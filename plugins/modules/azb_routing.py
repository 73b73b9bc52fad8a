#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_routing
short_description: Dynamic and static routing with FRR (static, OSPFv2, RIPv2, PIM-SM with IGMP, BFD)
version_added: 0.2.0
description:
  - Owns C(/etc/frr/frr.conf) and C(/etc/frr/daemons) on the appliance.
  - The whole input is validated first (unknown zones, links or tunnels, overlapping static routes,
    BFD on an interface without OSPF, PIM without a rendezvous point, ...); errors name the field path.
  - The rendered configuration then passes FRR's own parser (C(vtysh --dryrun)) before anything changes,
    and is applied the FRR way, by C(frr-reload.py), which changes only the lines that differ, so a
    protocol the change does not touch keeps its adjacencies. The routing daemons (ospfd, ripd, pimd,
    bfdd) are enabled together on the first apply, when FRR is (re)started; later changes never
    restart FRR (unconfigured daemons send nothing).
  - Live state is the truth - the running daemons are compared with the rendered text by
    C(frr-reload.py --test), so changes made with vtysh behind Ansible's back are reported and undone.
  - FRR (enabled) reads the same file at boot, so routing comes back after a reboot without Ansible.
  - Interfaces are named by what they are - a zone (its bridge), a link (a point-to-point cable whose
    address FRR's zebra sets), a VPN tunnel, or a raw interface name.
  - Keys (OSPF and RIP authentication) never appear in output or diffs; the files are C(0640 frr:frr).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
requirements:
  - frr and frr-pythontools (8.4, Debian 12) on the appliance; the C(routing) role installs them.
options:
  state:
    description:
      - V(present) converges; V(absent) removes every protocol and daemon this module configured.
      - V(rendered) returns C(frr.conf) (keys masked) and the daemons file without touching the box.
      - V(gathered) returns live state from C(vtysh ... json) (neighbours, routes, BFD peers, mroutes).
    type: str
    choices: [present, absent, rendered, gathered]
    default: present
  router_id:
    description: The router id (IPv4), used by OSPF unless O(ospf.router_id) is given.
    type: str
  other_router_ids:
    description:
      - Router ids of the other hosts in the play, by host name (the C(routing) role fills it); a
        duplicate is refused.
    type: dict
    default: {}
  zones:
    description: The zones of the box (the C(zones) role's C(azb_zones)); name, bridge and addresses are used.
    type: list
    elements: dict
    default: []
  links:
    description: Point-to-point links to other routers; FRR sets their address.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Link name (referenced as C(link)., type: str, required: true}
      interface: {description: Its interface., type: str, required: true}
      address: {description: 'Its IPv4 address with prefix (e.g. 198.19.17.73/30).', type: str}
  tunnels:
    description:
      - VPN tunnels (from C(azb_vpn)) routing protocols may run over. The C(routing) role passes the
        VPN tunnels of the box by their name, so inventory names them without listing them here.
      - OSPF over a WireGuard tunnel needs it point-to-point (two peers, the other one's allowed IPs
        0.0.0.0/0); the roles set that up for a tunnel OSPF names (see docs/routing.md).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Tunnel name (referenced as C(tunnel))., type: str, required: true}
      interface: {description: Its interface (e.g. wg0)., type: str, required: true}
  static_routes:
    description:
      - Static routes (FRR staticd). Overlapping prefixes in one table are refused.
      - Each entry is checked by the module's model (field paths), not by the argument spec, so
        thousands of routes stay cheap.
    type: list
    elements: dict
    default: []
    suboptions:
      prefix: {description: Destination CIDR., type: str, required: true}
      via: {description: Next hop address., type: str}
      interface: {description: Out interface., type: str}
      blackhole: {description: Drop the traffic., type: bool, default: false}
      distance: {description: 'Administrative distance 1-255 (the route''s preference; lower wins).', type: int}
      table: {description: 'Kernel routing table 1-252 (default: main).', type: int}
  prefix_lists:
    description: Named IPv4 prefix-lists, used by redistribution, RIP distribute-lists and the PIM SSM range.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Name., type: str, required: true}
      entries:
        description: Entries, in order (sequence 5, 10, ... unless given).
        type: list
        elements: dict
        required: true
        suboptions:
          seq: {description: Sequence number., type: int}
          action: {description: Permit or deny., type: str, choices: [permit, deny], default: permit}
          prefix: {description: The prefix., type: str, required: true}
          ge: {description: Minimum prefix length matched., type: int}
          le: {description: Maximum prefix length matched., type: int}
  ospf:
    description: OSPFv2.
    type: dict
    suboptions:
      router_id: {description: Router id (default O(router_id))., type: str}
      spf_throttle:
        description:
          - SPF scheduling in milliseconds (FRR's default is 0, 50, 5000 - an SPF runs at once after
            the first change, then backs off under churn).
        type: dict
        suboptions:
          delay: {description: From a topology change to the SPF run., type: int, required: true}
          initial_hold: {description: Minimum time between two runs., type: int, required: true}
          max_hold: {description: Maximum time between two runs under churn., type: int, required: true}
      areas:
        description: Areas other than the backbone (which always exists), and their type.
        type: list
        elements: dict
        default: []
        suboptions:
          id: {description: Area id (number or dotted quad)., type: str, required: true}
          type: {description: Area type., type: str, choices: [normal, stub, nssa], default: normal}
      interfaces:
        description: Where OSPF runs. Name exactly one of C(zone), C(link), C(tunnel), C(interface).
        type: list
        elements: dict
        default: []
        suboptions:
          zone: {description: A zone (its bridge)., type: str}
          link: {description: A link., type: str}
          tunnel: {description: A VPN tunnel., type: str}
          interface: {description: A raw interface name., type: str}
          area: {description: 'Area (default 0).', type: str}
          cost: {description: Interface cost., type: int}
          hello_interval: {description: Seconds between hellos (FRR default 10)., type: int}
          dead_interval: {description: Seconds without hello before the neighbour is dead (FRR default 40)., type: int}
          passive:
            description: Announce the network but send no hello (default true on zones, where clients live).
            type: bool
          network:
            description: 'Network type (default point-to-point on links and tunnels, broadcast on zones).'
            type: str
            choices: [point-to-point, broadcast]
          authentication:
            description: Authentication of the interface's OSPF packets.
            type: dict
            suboptions:
              mode: {description: MD5 digest or plain text., type: str, choices: [md5, text], default: md5}
              key_id: {description: MD5 key id., type: int, default: 1}
              key: {description: The key (never shown)., type: str, required: true}
          bfd: {description: Watch the neighbours on this interface with BFD., type: bool, default: false}
          bfd_profile: {description: The BFD profile (O(bfd.profiles)) used., type: str}
      redistribute:
        description: Routes of other sources announced into OSPF.
        type: list
        elements: dict
        default: []
        suboptions:
          source: {description: The source., type: str, required: true, choices: [connected, static, kernel, ospf, rip]}
          zones: {description: Only these zones' networks (source connected)., type: list, elements: str, default: []}
          prefix_list: {description: Only what this prefix-list permits., type: str}
          metric: {description: Metric announced., type: int}
          metric_type: {description: External metric type (OSPF)., type: int, choices: [1, 2]}
  rip:
    description: RIPv2.
    type: dict
    suboptions:
      networks: {description: Networks RIP runs on (CIDR)., type: list, elements: str, default: []}
      interfaces:
        description: Interfaces RIP runs on.
        type: list
        elements: dict
        default: []
        suboptions:
          zone: {description: A zone (its bridge)., type: str}
          link: {description: A link., type: str}
          tunnel: {description: A VPN tunnel., type: str}
          interface: {description: A raw interface name., type: str}
          passive: {description: Announce the network but send no updates there., type: bool, default: false}
          authentication:
            description: Authentication of RIP packets (a neighbour with another key is ignored).
            type: dict
            suboptions:
              mode: {description: MD5 or plain text., type: str, choices: [md5, text], default: md5}
              key_id: {description: Key id., type: int, default: 1}
              key: {description: The key (never shown)., type: str, required: true}
      redistribute:
        description: Routes of other sources announced into RIP (same fields as O(ospf.redistribute)).
        type: list
        elements: dict
        default: []
        suboptions:
          source: {description: The source., type: str, required: true, choices: [connected, static, kernel, ospf, rip]}
          zones: {description: Only these zones' networks (source connected)., type: list, elements: str, default: []}
          prefix_list: {description: Only what this prefix-list permits., type: str}
          metric: {description: Metric announced (1-16)., type: int}
          metric_type: {description: Unused by RIP., type: int, choices: [1, 2]}
      distribute_lists:
        description: Filters on the routes RIP learns (in) or sends (out).
        type: list
        elements: dict
        default: []
        suboptions:
          prefix_list: {description: The prefix-list., type: str, required: true}
          direction: {description: Direction., type: str, choices: [in, out], default: in}
  pim:
    description: PIM sparse mode and IGMP.
    type: dict
    suboptions:
      rp:
        description: Static rendezvous points.
        type: list
        elements: dict
        default: []
        suboptions:
          address: {description: The RP's address., type: str, required: true}
          groups: {description: Groups it serves., type: str, default: 224.0.0.0/4}
      ssm_prefix_list: {description: The source-specific multicast range (a prefix-list)., type: str}
      interfaces:
        description: Interfaces PIM runs on (towards other routers, and towards senders).
        type: list
        elements: dict
        default: []
        suboptions:
          zone: {description: A zone (its bridge)., type: str}
          link: {description: A link., type: str}
          tunnel: {description: A VPN tunnel., type: str}
          interface: {description: A raw interface name., type: str}
      igmp:
        description: Interfaces where receivers live (IGMP); a zone not listed gets no multicast.
        type: list
        elements: dict
        default: []
        suboptions:
          zone: {description: A zone (its bridge)., type: str}
          link: {description: A link., type: str}
          tunnel: {description: A VPN tunnel., type: str}
          interface: {description: A raw interface name., type: str}
  bfd:
    description: BFD profiles and peers (OSPF interfaces use them with C(bfd) and C(bfd_profile)).
    type: dict
    suboptions:
      profiles:
        description: Timer profiles.
        type: list
        elements: dict
        default: []
        suboptions:
          name: {description: Name., type: str, required: true}
          detect_multiplier: {description: Packets lost before the peer is down., type: int, default: 3}
          receive_interval: {description: Milliseconds., type: int, default: 300}
          transmit_interval: {description: Milliseconds., type: int, default: 300}
      peers:
        description: Static BFD peers (on an interface that runs OSPF).
        type: list
        elements: dict
        default: []
        suboptions:
          address: {description: The peer's address., type: str, required: true}
          interface:
            description: Its interface (zone, link, tunnel or interface).
            type: dict
            suboptions:
              zone: {description: A zone (its bridge)., type: str}
              link: {description: A link., type: str}
              tunnel: {description: A VPN tunnel., type: str}
              interface: {description: A raw interface name., type: str}
          profile: {description: A profile name., type: str}
"""

EXAMPLES = r"""
- name: A branch in an OSPF ring, a legacy RIPv2 router, multicast to the office zone, BFD on the cables
  azblink.nfv.azb_routing:
    router_id: 10.255.0.17
    zones: "{{ azb_zones }}"
    links:
      - {name: to-b, interface: lk-a18, address: 198.19.17.73/30}
      - {name: to-c, interface: lk-a19, address: 198.19.17.77/30}
      - {name: legacy, interface: lk-legacy, address: 198.19.0.69/30}
    tunnels:
      - {name: hq, interface: wg0}
    bfd:
      profiles: [{name: fast, receive_interval: 100, transmit_interval: 100}]
    ospf:
      interfaces:
        - {zone: office}
        - {link: to-b, bfd: true, bfd_profile: fast, hello_interval: 1, dead_interval: 4}
        - {link: to-c, bfd: true, bfd_profile: fast, hello_interval: 1, dead_interval: 4}
        - {tunnel: hq, cost: 100}
      redistribute:
        - {source: rip}
    rip:
      interfaces:
        - {link: legacy, authentication: {key: "{{ vault_rip_key }}"}}
      redistribute:
        - {source: connected, zones: [office]}
        - {source: ospf}
    pim:
      rp: [{address: 10.255.0.18}]
      interfaces: [{link: to-b}, {link: to-c}, {zone: office}]
      igmp: [{zone: office}]

- name: Review the configuration without touching the box
  azblink.nfv.azb_routing:
    state: rendered
    router_id: 10.255.0.17
    ospf: {interfaces: [{interface: eth1}]}
  register: plan

- name: Live neighbours, routes, BFD peers and multicast routes
  azblink.nfv.azb_routing:
    state: gathered
  register: live
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: when state is present or absent
  type: list
  elements: str
  sample: ["write /etc/frr/frr.conf", "frr-reload.py --reload: -0 +3 lines"]
rendered:
  description: C(frr.conf) (keys masked) and the daemons file, by path.
  returned: when state is present or rendered
  type: dict
  sample: {"/etc/frr/frr.conf": "frr version 8.4.4 ...", "/etc/frr/daemons": "ospfd=yes ..."}
daemons:
  description: The FRR daemons the intent needs.
  returned: when state is present or rendered
  type: list
  elements: str
  sample: [bfdd, ospfd, staticd]
gathered:
  description: Live state from vtysh JSON (ospf_neighbors, ospf_interfaces, routes, rip_routes, bfd_peers, mroutes, igmp_groups, pim_neighbors).
  returned: when state is gathered
  type: dict
  sample: {"ospf_neighbors": {"neighbors": {}}, "routes": {}}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.routing import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.routing import plan as rplan
from ansible_collections.azblink.nfv.plugins.module_utils.routing.adapter import (
    CONF, DAEMONS, Adapter, RoutingError)
from ansible_collections.azblink.nfv.plugins.module_utils.routing.spec import argument_spec


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    state = module.params["state"]
    runner = ModuleRunner(module, RoutingError, binary=False)
    ad = Adapter(runner.run)
    if state == "gathered":
        module.exit_json(changed=False, gathered=ad.gather() if ad.installed() else {})

    site = None if state == "absent" else runner.build(model.build)
    if state == "rendered":
        module.exit_json(changed=False, daemons=sorted(model.daemons(site)),
                         rendered={CONF: render.frr_conf(site, masked=True), DAEMONS: render.daemons_file(site)})
    if not ad.installed():
        if state == "absent":
            module.exit_json(changed=False, actions=[])
        module.fail_json(msg="FRR with frr-pythontools is not installed (the routing role installs it)")

    host = ad.hostname()
    if state == "absent":
        conf, daemons = rplan.absent_conf(host), rplan.absent_daemons()
    else:
        conf, daemons = render.frr_conf(site, hostname=host), render.daemons_file(site)
    extra = {}
    if site is not None:
        extra = dict(daemons=sorted(model.daemons(site)),
                     rendered={CONF: render.frr_conf(site, hostname=host, masked=True), DAEMONS: daemons})
    # Errors quote FRR's own output, which may carry a key: masked like the rendered text.
    runner.converge(lambda: rplan.plan(ad, conf, daemons, want_diff=module._diff), lambda p: rplan.execute(p, ad),
                    extra, message=lambda exc: render.mask(str(exc)))


if __name__ == "__main__":
    main()
