#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_vpn
short_description: WireGuard, OpenVPN and IPsec tunnels of an appliance, one systemd unit per tunnel
version_added: 0.1.0
description:
  - Tunnels are declared once for the estate; each lists its O(tunnels[].peers). The peer named
    O(host) is this appliance; managed peers get their public keys from O(play_hosts) (or, on a
    C(--limit) run, from what this appliance already runs, so no peer is dropped); unmanaged peers are
    declared with their O(tunnels[].peers[].public_key).
  - C(wireguard) site-to-site and client-to-site, with kernel WireGuard where the kernel has it and
    C(wireguard-go) otherwise. Keys are generated on the appliance (0600). Road-warrior
    configurations are exported to O(export_dir) as C(.conf) files and QR-code PNGs (with C(qrencode)).
  - C(openvpn) client-to-site with certificates from M(azblink.nfv.azb_ca) (copied to O(pki_dir)),
    C(tls-crypt), the CRL enforced, per-client static addresses, C(.ovpn) bundles exported.
  - C(ipsec) site-to-site with strongSwan C(swanctl), authenticated by certificates, routed through an
    XFRM interface.
  - Every tunnel is a C(azb-vpn-NAME.service) unit, enabled. A peer change is synced live into the
    running tunnel; a change to one tunnel never restarts the others.
  - Each tunnel's interface is named after it, and with O(tunnels[].table) its networks are also
    routed in that routing table, for policy routing to target.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
  - azblink.nfv.prerequisites
attributes:
  diff_mode:
    support: full
    description: The diff shows the configuration files and units that change, with keys shown as C((secret)).
options:
  state:
    description:
      - C(present) builds the tunnels that list O(host) among their peers and removes other C(azb-vpn-*) tunnels.
      - C(keys) only generates missing keys and returns the public keys (run it on all appliances first).
      - C(absent) removes the tunnels in O(tunnels) that list O(host).
      - C(rendered) returns the configuration without touching the box (keys as placeholders).
    type: str
    choices: [present, absent, rendered, keys]
    default: present
  host:
    description: The name of this appliance in O(tunnels[].peers[].name), usually C(inventory_hostname).
    type: str
    required: true
  tunnels:
    description: The tunnels of the estate.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Tunnel and interface name (at most 15 characters, C(a-z0-9-)).
        type: str
        required: true
      type:
        description: Tunnel technology.
        type: str
        choices: [wireguard, openvpn, ipsec]
        default: wireguard
      network:
        description: The tunnel's own IPv4 network (CIDR); tunnel networks may not overlap.
        type: str
        required: true
      port:
        description: UDP port the tunnel listens on (51820, 1194 or 500 by default).
        type: int
      table:
        description:
          - Routing table that also gets the tunnel's routes (for policy routing). With the wan
            role, route policies can then steer to the tunnel by its name (C(via)).
        type: int
      zone:
        description:
          - Zone of this appliance the tunnel interface belongs to. Used by the zones role (the
            interface and the networks behind the tunnel join that zone, its port is opened on the
            wan zones); ignored by this module.
        type: str
      routing:
        description:
          - V(static) (default) routes the peers' networks into the tunnel from their allowed IPs.
          - V(ospf) - OSPF runs over the tunnel and learns the routes (the C(routing) role sets it for
            a tunnel its OSPF names). WireGuard only, point-to-point (exactly two peers, no clients);
            the other peer's allowed IPs become C(0.0.0.0/0) (OSPF's hellos to 224.0.0.5 and every
            learned route go to it), no route is installed from them, and the interface is multicast-capable.
        type: str
        choices: [static, ospf]
      keepalive:
        description: Keepalive interval in seconds (0 disables).
        type: int
        default: 25
      mtu:
        description: Interface MTU (WireGuard default 1420).
        type: int
      certificate:
        description: Name of this appliance's certificate in the CA (OpenVPN server, IPsec).
        type: str
      peers:
        description: The sites of the tunnel, this appliance included.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Inventory name of an appliance, or any name for a declared unmanaged peer.
            type: str
            required: true
          address:
            description: The peer's address inside the tunnel network.
            type: str
          endpoint:
            description: C(host[:port]) where the peer is reached (this appliance's is given to clients).
            type: str
          public_key:
            description: WireGuard public key of an unmanaged peer (declares it).
            type: str
          networks:
            description: Further networks behind the peer (allowed IPs).
            type: list
            elements: str
          zones:
            description: Names of the peer's zones whose networks are behind it (default its trusted zones).
            type: list
            elements: str
          zone:
            description: For the appliance's own entry, the zone the tunnel joins there (overrides O(tunnels[].zone)).
            type: str
          keepalive:
            description: Keepalive towards this peer.
            type: int
          certificate:
            description: Certificate name of this peer (IPsec).
            type: str
          identity:
            description: IKE identity of this peer (IPsec), default C(CN=<certificate>).
            type: str
      clients:
        description: Road warriors of the tunnel.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Client name (file names of its exported configuration).
            type: str
            required: true
          address:
            description: Static address of the client in the tunnel network.
            type: str
            required: true
          public_key:
            description: WireGuard public key the client keeps itself; without it a key is generated here and exported.
            type: str
          certificate:
            description: OpenVPN client certificate name in the CA.
            type: str
          dns:
            description: DNS servers written into the client configuration.
            type: list
            elements: str
  zones:
    description: This appliance's zones (C(azb_zones)), to resolve O(tunnels[].peers[].zones).
    type: list
    elements: dict
    default: []
  play_hosts:
    description:
      - "Facts of the appliances in the play: C({name: {public_keys: {tunnel: key}, zones: [...]}})."
    type: dict
    default: {}
  revoked:
    description: Certificate names the CA revoked; their clients are left out (and refused by the CRL).
    type: list
    elements: str
    default: []
  implementation:
    description: WireGuard implementation; C(auto) probes the kernel.
    type: str
    choices: [auto, kernel, wireguard-go]
    default: auto
  ipsec_backend:
    description:
      - IPsec data plane. C(xfrm) is the kernel's ESP with an XFRM interface per tunnel; C(libipsec)
        is strongSwan's userspace ESP (UDP-encapsulated, over a TUN device) for kernels without ESP.
      - C(auto) probes the kernel for ESP.
    type: str
    choices: [auto, xfrm, libipsec]
    default: auto
  config_dir:
    description: Where tunnel configurations and keys live.
    type: path
    default: /etc/azblink/vpn
  export_dir:
    description: Where client configurations (C(.conf), C(.png), C(.ovpn)) are exported.
    type: path
    default: /etc/azblink/vpn/export
  pki_dir:
    description: Copy of the CA on the appliance (C(ca.crt), C(crl.pem), C(certs/), C(private/)).
    type: path
    default: /etc/azblink/pki
  fetch_exports_to:
    description:
      - A directory on the controller (the module's action) to keep copies of the exports in, under
        a directory named after the box (C(<fetch_exports_to>/<inventory_hostname>/), mode 0700, each
        file 0600). They are fetched in the same task, and only those whose copy is missing or differs
        from the box's (by sha1). Never in check mode; their content never appears in the result.
    type: path
requirements:
  - wireguard-tools, wireguard-go (without kernel WireGuard), openvpn, strongswan-swanctl, qrencode
"""

EXAMPLES = r"""
- name: Site-to-site WireGuard between two appliances, plus a road warrior
  azblink.nfv.azb_vpn:
    host: "{{ inventory_hostname }}"
    zones: "{{ azb_zones }}"
    play_hosts: "{{ azb_vpn_play_hosts }}"
    tunnels:
      - name: wgs2s
        network: 10.99.0.0/24
        port: 51820
        table: 200
        peers:
          - {name: site-a, address: 10.99.0.1, endpoint: 192.0.2.58}
          - {name: site-b, address: 10.99.0.2, endpoint: 192.0.2.66}
          - name: hq-router
            address: 10.99.0.9
            public_key: "kXb1...="
            networks: [10.50.0.0/16]
        clients:
          - {name: alice-phone, address: 10.99.0.100}
"""

RETURN = r"""
prerequisites:
  description: What the O(prerequisites) pass did (or would do, in check mode), in the keys M(azblink.nfv.azb_files) returns.
  returned: when O(prerequisites) is given and the module converges
  type: dict
  sample: {"changed_paths": [], "changes": {}, "installed_packages": ["ulogd2"], "changed_units": {"ulogd2.service": ["start"]}}
actions:
  description: What the run did (or would do in check mode), one line each; also the audit record's actions.
  returned: when state is present or absent
  type: list
  elements: str
  sample: ["write /etc/azblink/vpn/ovpn/server.conf (changed)", "restart tunnel ovpn"]
tunnels:
  description: Each tunnel built here, with its interface, unit, routing table, port and public key.
  returned: always
  type: dict
  sample: {"wgs2s": {"type": "wireguard", "interface": "wgs2s", "unit": "azb-vpn-wgs2s.service",
           "routing_table": 200, "port": 51820, "proto": "udp", "public_key": "q3..."}}
listen_ports:
  description: The ports the tunnels listen on (for the firewall to open on the WAN).
  returned: always
  type: list
  elements: dict
  sample: [{"port": 51820, "proto": "udp", "tunnel": "wgs2s"}]
public_keys:
  description: WireGuard public keys of this appliance, by tunnel.
  returned: always
  type: dict
exports:
  description: Paths of the exported client configurations on the appliance.
  returned: always
  type: list
  elements: str
export_sha1:
  description:
    - The sha1 of each export on the appliance (those there), so the controller fetches only the
      copies that differ (O(fetch_exports_to)).
  returned: always
  type: dict
fetched:
  description: With O(fetch_exports_to), the controller's copies this run wrote.
  returned: when O(fetch_exports_to) is set and the box exports configurations
  type: list
  elements: str
rendered:
  description: With O(state=rendered), every file by path, secrets as C((secret)).
  returned: when state is rendered
  type: dict
implementation:
  description: The WireGuard implementation used.
  returned: always
  type: str
ansible_facts:
  description:
    - C(azb_vpn_public_keys), C(azb_vpn_listen_ports) and C(azb_vpn_tunnel_info) (the tunnels as deployed).
    - Not C(azb_vpn_tunnels), the inventory's declaration, which a fact of that name would shadow for
      every later role of the play.
  returned: always
  type: dict
"""

import os

from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils import capabilities
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError
from ansible_collections.azblink.nfv.plugins.module_utils.vpn import engine, model
from ansible_collections.azblink.nfv.plugins.module_utils.vpn.adapter import CommandError, System
from ansible_collections.azblink.nfv.plugins.module_utils.vpn.render import Paths

PEER = dict(name=dict(type="str", required=True), address=dict(type="str"), endpoint=dict(type="str"),
            public_key=dict(type="str", no_log=False), networks=dict(type="list", elements="str"),
            zones=dict(type="list", elements="str"), zone=dict(type="str"), keepalive=dict(type="int"),
            certificate=dict(type="str"), identity=dict(type="str"))
CLIENT = dict(name=dict(type="str", required=True), address=dict(type="str", required=True),
              public_key=dict(type="str", no_log=False), certificate=dict(type="str"),
              dns=dict(type="list", elements="str"))
TUNNEL = dict(name=dict(type="str", required=True),
              type=dict(type="str", choices=list(model.TYPES), default="wireguard"),
              network=dict(type="str", required=True), port=dict(type="int"), table=dict(type="int"),
              zone=dict(type="str"), routing=dict(type="str", choices=list(model.ROUTINGS)),
              keepalive=dict(type="int", default=25), mtu=dict(type="int"), certificate=dict(type="str"),
              peers=dict(type="list", elements="dict", default=[], options=PEER),
              clients=dict(type="list", elements="dict", default=[], options=CLIENT))


def argument_spec():
    return dict(
        state=dict(type="str", choices=["present", "absent", "rendered", "keys"], default="present"),
        host=dict(type="str", required=True),
        tunnels=dict(type="list", elements="dict", default=[], options=TUNNEL),
        zones=dict(type="list", elements="dict", default=[]),
        play_hosts=dict(type="dict", default={}),
        revoked=dict(type="list", elements="str", default=[]),
        implementation=dict(type="str", choices=["auto", "kernel", "wireguard-go"], default="auto"),
        ipsec_backend=dict(type="str", choices=["auto", "xfrm", "libipsec"], default="auto"),
        config_dir=dict(type="path", default="/etc/azblink/vpn"),
        export_dir=dict(type="path", default="/etc/azblink/vpn/export"),
        pki_dir=dict(type="path", default="/etc/azblink/pki"),
        fetch_exports_to=dict(type="path"),  # the action's (plugins/action/azb_vpn.py): never sent to the box
        **prerequisites.ARGUMENT_SPEC
    )


def _clean(params):
    """Drop the None values the argument spec adds, so the model applies its own defaults."""
    if isinstance(params, dict):
        return dict((k, _clean(v)) for k, v in params.items() if v is not None)
    if isinstance(params, list):
        return [_clean(v) for v in params]
    return params


def summary(tunnels, pubs):
    info, ports = {}, []
    for t in tunnels:
        dev = "ipsec0" if getattr(t, "backend", None) == "libipsec" else t.name
        info[t.name] = {"type": t.type, "interface": dev, "unit": t.unit, "routing_table": t.routing_table,
                        "port": t.port, "proto": t.proto, "network": str(t.network), "address": t.address,
                        "public_key": pubs.get(t.name), "peers": [p.name for p in t.peers],
                        "clients": [c.name for c in t.clients]}
        ports.append({"port": t.port, "proto": t.proto, "tunnel": t.name})
        if t.type == "ipsec":
            ports.append({"port": 4500, "proto": "udp", "tunnel": t.name})  # NAT-T / ESP in UDP
    return info, ports


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    prm = module.params
    state = prm["state"]
    paths = Paths(prm["config_dir"], prm["export_dir"], pki_dir=prm["pki_dir"])
    system = System(module.run_command)
    ctx = {"host": prm["host"], "zones": prm["zones"], "play_hosts": prm["play_hosts"],
           "revoked": set(prm["revoked"]), "check_mode": module.check_mode}
    if state not in ("rendered", "keys"):
        ctx["deployed"] = system.deployed(paths.config_dir)
        ctx["certificates"] = system.certificates(paths.pki_dir)
    if state == "keys":
        ctx["play_hosts"] = {}
    impl = prm["implementation"]
    if impl == "auto":
        if state == "rendered":
            impl = "wireguard-go"
        else:
            rc, _o, _e = module.run_command(capabilities.probe_command("wireguard_kernel"))
            impl = "kernel" if rc == 0 else "wireguard-go"
    try:
        tunnels = model.validate(_clean({"tunnels": prm["tunnels"]}), ctx) if state != "keys" \
            else _keys_tunnels(prm, ctx)
    except SpecError as exc:
        module.fail_json(msg=str(exc), field=exc.path)

    backend = prm["ipsec_backend"]
    if backend == "auto" and any(t.type == "ipsec" for t in tunnels):
        if state == "rendered":
            backend = "xfrm"
        else:
            rc, _o, _e = module.run_command(capabilities.probe_command("ipsec_esp"))
            backend = "xfrm" if rc == 0 else "libipsec"
    for t in tunnels:
        t.backend = backend if t.type == "ipsec" else None
    if state in ("present", "keys"):
        module.converge_prerequisites()  # the tools that make the keys, before they are made

    if state == "rendered":
        info, ports = summary(tunnels, {})
        module.exit_json(changed=False, rendered=engine.rendered(tunnels, paths, impl), tunnels=info,
                         listen_ports=ports, public_keys={}, exports=[], export_sha1={}, implementation=impl,
                         ansible_facts={"azb_vpn_listen_ports": ports, "azb_vpn_tunnel_info": info})
    try:
        if state == "keys":
            created, pubs = engine.ensure_keys(tunnels, paths, system, module.check_mode)
            info, ports = summary(tunnels, pubs)
            module.exit_json(changed=bool(created), actions=["generate key %s" % k for k in created],
                             public_keys=pubs, tunnels=info, listen_ports=ports,
                             exports=[], export_sha1={}, implementation=impl, ansible_facts={"azb_vpn_public_keys": pubs})
        created, pubs = ([], {}) if state == "absent" else engine.ensure_keys(tunnels, paths, system,
                                                                              module.check_mode)
        plan = engine.plan(tunnels, paths, system, impl, module.check_mode, remove=state == "absent")
        plan.keys_created = created
        result = {"changed": plan.changed, "actions": _actions(plan)}
        if module._diff:
            result["diff"] = engine.diff(plan)
        if plan.changed and not module.check_mode:
            engine.apply(plan, system, tunnels if state != "absent" else [])
    except CommandError as exc:
        module.fail_json(msg=str(exc))
    if state == "absent":
        tunnels = []
    info, ports = summary(tunnels, pubs)
    exports = sorted(a for t in tunnels for a in _export_paths(t, paths))
    export_sha1 = dict((p, module.sha1(p)) for p in exports if os.path.isfile(p))
    result.update(tunnels=info, listen_ports=ports, public_keys=pubs, exports=exports, export_sha1=export_sha1,
                  implementation=impl,
                  ansible_facts={"azb_vpn_public_keys": pubs, "azb_vpn_listen_ports": ports,
                                 "azb_vpn_tunnel_info": info})
    module.exit_json(**result)


def _actions(plan):
    """One line per thing the plan does (file paths and units only: never a key or a secret)."""
    return (["write %s (%s)" % (c.artifact.path, c.reason) for c in plan.changes]
            + ["%s tunnel %s" % (how, name) for name, how in sorted(plan.actions.items())]
            + ["enable %s" % u for u in plan.enable] + ["remove unit %s" % u for u in plan.stale_units]
            + ["remove %s" % p for p in plan.stale_paths] + ["generate key %s" % k for k in plan.keys_created])


def _export_paths(t, paths):
    out = []
    for c in t.clients:
        if t.type == "wireguard":
            out += [paths.export(t, c, "conf"), paths.export(t, c, "png")]
        elif t.type == "openvpn":
            out.append(paths.export(t, c, "ovpn"))
    return out


def _keys_tunnels(prm, ctx):
    """For state=keys: the tunnels of this host with just enough validated to know its keys."""
    out = []
    for i, t in enumerate(_clean(prm["tunnels"])):
        if not any(p.get("name") == ctx["host"] for p in t.get("peers") or []):
            continue
        clients = [model.Client(c["name"], c.get("address"), c.get("public_key"), c.get("certificate"))
                   for c in t.get("clients") or []]
        tt = model.Tunnel(name=t["name"], type=t.get("type", "wireguard"), network=None, address=None,
                          port=t.get("port") or model.DEFAULT_PORTS[t.get("type", "wireguard")],
                          clients=clients, index=i)
        if not model.IFNAME_RE.match(tt.name):
            raise SpecError("tunnels[%d].name" % i, "%r is not a valid interface name" % tt.name)
        out.append(tt)
    return out


if __name__ == "__main__":
    main()
