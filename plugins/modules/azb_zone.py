#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_zone
short_description: Security zones, bridge firewall, unified egress NAT and port forwards
version_added: 0.1.0
description:
  - Converges the appliance's zone model. Each zone is a bridge (or an interface) with a role,
    C(wan), C(restricted), C(dmz) or C(trusted), that sets its default reach (the brochure's matrix),
    its addresses, and which of the box's services it may use.
  - Bridges, ports and addresses are systemd-networkd files (back at boot without Ansible). The
    firewall is two nftables tables, C(inet azblink) (routed traffic, NAT, port forwards, the box's
    input) and C(bridge azblink_l2) (traffic inside one zone, for per-host isolation), loaded in one
    transaction and persisted in C(/etc/azblink/firewall.nft).
  - Declared policies compile to set elements and the zone matrix to a verdict map, so packet cost
    does not grow with the number of entries; a change that only adds or removes entries is applied
    as element updates, without reloading the rest.
  - The desired ruleset is loaded into a scratch network namespace first, so a ruleset the kernel
    refuses never reaches the box, and live state is compared as nft itself prints it.
  - With O(confirm_timeout), the box restores the previous ruleset by itself unless
    O(state=confirmed) follows in time (commit-confirm against lock-out).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
  - azblink.nfv.prerequisites
options:
  state:
    description:
      - V(present) converges; V(absent) removes the tables, the zone bridges and their files.
      - V(rendered) returns the ruleset and networkd files without touching or reading the box.
      - V(gathered) returns the live state (links, addresses, ruleset listing).
      - V(confirmed) disarms a pending rollback and persists the confirmed ruleset.
    type: str
    choices: [present, absent, rendered, gathered, confirmed]
    default: present
  zones:
    description: The zones. Required for V(present) and V(rendered).
    type: list
    elements: dict
    suboptions:
      name:
        description: Zone name, used in policies.
        type: str
        required: true
      role:
        description: Default policy of the zone.
        type: str
        required: true
        choices: [wan, restricted, dmz, trusted]
      bridge:
        description: Bridge created for the zone (for example C(br3)).
        type: str
      interfaces:
        description:
          - Ports enslaved to the bridge, or the zone's own interface.
          - A name C(TRUNK.ID) (for example C(eno2.30)) is 802.1Q VLAN ID on the NIC TRUNK, created by
            systemd-networkd; the trunk may be an untagged port of another zone.
        type: list
        elements: str
      address:
        description: The box's addresses on the zone (CIDR).
        type: list
        elements: str
      networks:
        description:
          - Networks reached through the zone beyond its own addresses (a tunnel's remote sites,
            road-warrior pools). Policies naming the zone match them and they are masqueraded out
            of the WAN. The zones role fills them in from the vpn declarations.
        type: list
        elements: str
      gateway:
        description: Default gateway (wan zones only).
        type: str
      services:
        description: Box services the zone may use (ping, ssh, dns, dhcp, ntp, http, https); defaults by role.
        type: list
        elements: str
      intra:
        description: Bridged traffic between hosts of the zone.
        type: str
        choices: [accept, drop]
        default: accept
      internet:
        description: Whether the zone may initiate to the WAN (default by role).
        type: bool
  hosts:
    description: Named endpoints (VMs, servers) usable in policies and port forwards.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Host name.
        type: str
        required: true
      zone:
        description: Zone the host lives in.
        type: str
        required: true
      address:
        description: Its addresses (inside the zone's networks).
        type: list
        elements: str
        required: true
      isolated:
        description: Drop bridged traffic to and from it inside its zone unless a policy allows it.
        type: bool
        default: false
  policies:
    description:
      - Declared allows and denies, evaluated before the default matrix; denies before allows.
      - C(from) and C(to) take zone names, host names, CIDRs or V(any); C(to) may be V(self) (the box).
      - Each entry is checked by the module's model (field paths such as C(policies[3].ports[0])),
        not by the argument spec, so tens of thousands of entries stay cheap on the box.
      - For thousands of policies, Ansible's own work on the controller (templating the list, sending
        it, echoing it back) outgrows the module's; O(policies_compact) avoids it. An allow list of
        many sources for one destination is best one policy with many C(from) entries (one string
        each) in either form.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Unique name; logged lines carry the prefix C(azb:NAME).
        type: str
        required: true
      from:
        description: Sources.
        type: list
        elements: str
        required: true
      to:
        description: Destinations.
        type: list
        elements: str
        required: true
      proto:
        description: Protocol.
        type: str
        choices: [tcp, udp, icmp, any]
        default: tcp
      ports:
        description: Destination ports or ranges C(a-b).
        type: list
        elements: str
      action:
        description: Verdict.
        type: str
        choices: [accept, drop]
        default: accept
      log:
        description: Log matching packets with the policy's prefix (nflog group 0).
        type: bool
        default: false
      rate_limit:
        description: C(N/second), C(N/minute) or C(N/hour), optionally followed by C(burst N); above it packets are dropped.
        type: str
  policies_compact:
    description:
      - More policies, one per line, in a compact form that Ansible passes as one string (no
        templating or argument checks of thousands of dictionaries), for example from a file on the
        controller with C(lookup('file', 'acl.txt')). Use it from a few thousand policies on;
        O(policies) is easier to read and review for a few hundred.
      - "Each line: C(NAME FROM TO PROTO [PORTS] [accept|drop] [log]); FROM, TO and PORTS are
        comma-separated (as in O(policies)); blank lines and lines starting with C(#) are skipped. A
        rate limit needs O(policies)."
      - Names are unique across both forms; errors name the line, for example
        C(policies_compact[line 12].from[0]).
    type: str
  port_forwards:
    description: WAN ports forwarded to internal hosts (with hairpin for trusted zones).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Unique name.
        type: str
        required: true
      proto:
        description: Protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
      port:
        description: WAN port or range C(a-b).
        type: str
        required: true
      to:
        description: Host name or internal address.
        type: str
        required: true
      to_port:
        description: Destination port (single-port forwards).
        type: int
      from:
        description: Allowed source CIDRs (default any).
        type: list
        elements: str
      wan:
        description: WAN zones it listens on (default all).
        type: list
        elements: str
  inputs:
    description:
      - Openings to the box itself beyond management and the zones' O(zones[].services) (VPN
        listen ports, routing protocols, VRRP, ...). Compiled to set elements, so the input chain
        keeps the same rules however many there are.
      - The zones role passes C(azb_box_inputs) plus what other roles' variables imply (for
        example the declared tunnels' listen ports on the wan zones).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Unique name.
        type: str
        required: true
      from:
        description: Where it is open from, zone names, interface names (a tunnel), CIDRs or V(any).
        type: list
        elements: str
        required: true
      proto:
        description:
          - V(tcp), V(udp), V(icmp), V(ospf), V(pim), V(igmp), V(vrrp), V(esp), V(gre), or an IP
            protocol number 0-255.
        type: str
        required: true
      ports:
        description: Destination ports or ranges C(a-b) (tcp and udp only, required for them).
        type: list
        elements: str
  management_sources:
    description: CIDRs allowed to reach the box's management ports. Everything else to the box is dropped.
    type: list
    elements: str
    default: []
  management_ports:
    description: TCP ports of management access.
    type: list
    elements: int
    default: [22]
  nat_sources:
    description: Extra source networks masqueraded out of the WAN (for example VPN client pools).
    type: list
    elements: str
    default: []
  confirm_timeout:
    description: Seconds after which the box restores the previous ruleset unless confirmed; 0 disables.
    type: int
    default: 0
  confirm:
    description:
      - Commit-confirm in this task, from the controller (the module's action). When the run armed a
        rollback, open a new TCP connection from the controller to the box's management port
        (O(confirm_port)). If it connects, confirm the ruleset (as O(state=confirmed) does) in the
        same task; if not, fail and leave the box to restore the previous ruleset by itself within
        O(confirm_timeout) seconds.
      - With O(confirm), an empty O(management_sources) is refused before the box is touched, as no
        management connection could reach the box to confirm it.
    type: bool
    default: false
  confirm_port:
    description: The TCP port the O(confirm) probe connects to; the connection's port (C(ansible_port)) or 22 when unset.
    type: int
"""

EXAMPLES = r"""
- name: Zones of a branch box
  azblink.nfv.azb_zone:
    zones:
      - {name: wan, role: wan, bridge: br0, interfaces: [eno1], address: [192.0.2.10/29], gateway: 192.0.2.9}
      - {name: lab, role: restricted, bridge: br1, address: [10.1.0.1/24]}
      - {name: dmz, role: dmz, bridge: br2, address: [10.2.0.1/24]}
      - {name: office, role: trusted, bridge: br3, address: [10.3.0.1/24]}
    hosts:
      - {name: web, zone: dmz, address: [10.2.0.10]}
    policies:
      - {name: web-db, from: [web], to: [10.3.0.20], proto: tcp, ports: ["5432"], log: true}
    # thousands more, one line each: NAME FROM TO PROTO [PORTS] [accept|drop] [log]
    policies_compact: "{{ lookup('ansible.builtin.file', 'acl.txt') }}"
    port_forwards:
      - {name: https, port: "443", to: web}
    inputs:
      - {name: wireguard, from: [wan], proto: udp, ports: ["51820"]}
      - {name: ospf, from: [office, wgs2s], proto: ospf}
    management_sources: [198.18.0.1/32]
    confirm_timeout: 60

- name: Confirm once the box is still reachable
  azblink.nfv.azb_zone:
    state: confirmed

- name: Converge and confirm in one task (the zones role's way)
  azblink.nfv.azb_zone:
    zones: "{{ azb_zones }}"
    management_sources: [198.18.0.1/32]
    confirm_timeout: 60
    confirm: true
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
  sample: ["nft: update set elements", "write /etc/systemd/network/40-azb-br3.network"]
rendered:
  description:
    - With O(state=rendered), the ruleset file and the networkd files.
    - With O(state=present), their summary (sha256 and size of the ruleset, networkd file names).
  returned: when state is rendered or present
  type: dict
  sample: {"ruleset": "table inet azblink ...", "networkd": {"40-azb-br3.netdev": "..."}}
gathered:
  description: Live links with masters and addresses, and the live ruleset listing.
  returned: when state is gathered
  type: dict
rollback_armed:
  description: Whether the run armed a rollback timer (with O(confirm), see RV(confirmed)).
  returned: when state is present
  type: bool
confirmed:
  description: With O(confirm), whether a new management connection reached the box and the armed ruleset was confirmed.
  returned: when O(confirm) is true and the run armed a rollback
  type: bool
reachability:
  description:
    - In check mode with diff, when the ruleset would change, what the change does to reachability
      between zones, found by probing (TCP to the default probe port and the ports the policies name)
      with the live ruleset and then the desired one, each loaded in a scratch network namespace.
    - The same flows appear in the diff as an extra entry, one "allowed FROM -> TO tcp/PORT" line each.
  returned: when check mode, diff mode and a ruleset change
  type: dict
  sample: {"opened": ["office -> dmz tcp/5432"], "closed": ["dev -> lab tcp/22"], "probes": 48,
           "ports": ["tcp/9", "tcp/22", "tcp/5432"]}
"""
import gc
import hashlib

from ansible_collections.azblink.nfv.plugins.module_utils import audit
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model, plan as zplan
from ansible_collections.azblink.nfv.plugins.module_utils.zones import render_networkd, render_nft
from ansible_collections.azblink.nfv.plugins.module_utils.zones.net_adapter import NetAdapter
from ansible_collections.azblink.nfv.plugins.module_utils.zones.nft_adapter import NftAdapter
from ansible_collections.azblink.nfv.plugins.module_utils.zones.spec import argument_spec


def main():
    # 100,000 policies are a million small objects, none of them in a cycle: the collector's passes
    # over them cost as much as building them. This process ends with the task.
    gc.disable()
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("zones",)), ("state", "rendered", ("zones",))])
    state = module.params["state"]

    runner = ModuleRunner(module, RuntimeError)
    nft, net = NftAdapter(runner.run), NetAdapter(runner.run)
    if state == "gathered":
        module.exit_json(changed=False, gathered={"links": net.links(), "ruleset": nft.live(),
                                                  "networkd": net.files()})
    if state == "confirmed":
        pending = nft.rollback_pending()
        if not module.check_mode and pending:
            nft.confirm()
        module.exit_json(changed=pending, actions=["confirm the pending ruleset"] if pending else [])
    if state == "absent":
        _absent(module, nft, net)

    site = runner.build(model.build)
    if state == "rendered":
        module.exit_json(changed=False, rendered={"ruleset": render_nft.render(site),
                                                  "networkd": render_networkd.render(site)})

    module.converge_prerequisites()
    try:
        p = zplan.plan(site, nft, net, exact=module._diff)
        if p.changed and not module.check_mode:
            zplan.execute(p, nft, net, module.params["confirm_timeout"])
        elif not module.check_mode:
            zplan.save_state(p, nft)
    except RuntimeError as exc:
        module.fail_json(msg=str(exc))
    # The full text is what state=rendered is for; a 10,000-entry ruleset is a megabyte to ship back.
    summary = {"ruleset_sha256": p.sha256, "ruleset_bytes": len(p.ruleset_text),
               "networkd": sorted(p.networkd)}
    result = dict(changed=p.changed, actions=p.actions(), rendered=summary,
                  rollback_armed=bool(module.params["confirm_timeout"] and p.nft_change
                                      and not module.check_mode))
    if module._diff and p.changed:
        result["diff"] = p.diff()
        if module.check_mode and p.nft_change:
            _reachability(module, site, nft, p.ruleset_text, result)
    result["invocation"] = {"module_args": echoed_args(module.params)}
    module.exit_json(**result)


# Bulk input beyond this many entries (policies, or their from/to entries) is echoed in the
# result's invocation as a count and a hash: echoing 10,000 of them back (copied, scanned for
# secrets, serialised, parsed by the controller) cost more than rendering and applying them.
ECHO_MOST = 1000


def echoed_args(params):
    out = dict(params)
    policies = params.get("policies") or []
    entries = len(policies) + sum(len(p.get("from") or []) + len(p.get("to") or [])
                                  for p in policies if isinstance(p, dict))
    if entries > ECHO_MOST:
        out["policies"] = "%d policies, %d entries (sha256 %s)" % (
            len(policies), entries, audit.config_sha256({"policies": policies}, {}))
    compact = params.get("policies_compact") or ""
    if compact.count("\n") > ECHO_MOST:
        out["policies_compact"] = "%d lines (sha256 %s)" % (
            compact.count("\n"), hashlib.sha256(compact.encode()).hexdigest())
    return out


def _reachability(module, site, nft, desired, result):
    """Check + diff: what the change does to reachability, probed live vs desired (scratch netns)."""
    # imported here: only check + diff runs it, and every other run would pay for the import
    from ansible_collections.azblink.nfv.plugins.module_utils.evidence import reach
    try:
        result["reachability"] = reach.diff(site, nft.live(), desired)
    except (RuntimeError, OSError) as exc:
        result["reachability"] = {"error": str(exc)}
        module.warn("reachability diff not computed: %s" % exc)
        return
    result["diff"].append(reach.as_diff(result["reachability"]))


def _absent(module, nft, net):
    live = nft.live()
    files = net.files()
    links = net.links()
    bridges = [f[len(render_networkd.PREFIX):-len(".netdev")] for f in files if f.endswith(".netdev")]
    bridges = [b for b in bridges if b in links]
    changed = bool(live or files or bridges)
    if changed and not module.check_mode:
        if live:
            nft.apply(render_nft.render_removal())
        net.write({}, list(files))
        net.reload([], bridges)
        nft.persist(render_nft.render_removal())
    if not module.check_mode:
        nft.clear_state()
    result = dict(changed=changed, actions=(["remove nft tables"] if live else [])
                  + ["remove %s" % f for f in files] + ["delete link %s" % b for b in bridges])
    if module._diff and changed:
        result["diff"] = {"before": live, "after": ""}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
