# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that wire the roles to each other from the shared inventory, on the controller
(see plugins/module_utils/inventory/implied.py). Bad input fails with its field path."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import hosts as inv_hosts
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied


def _view(box, host, hostvars):
    """``hostvars`` may be Ansible's (lazy) hostvars: only the peers' azb_zones are read."""
    peers = {}
    for t in (box or {}).get("azb_vpn_tunnels") or []:
        for p in (t.get("peers") or []) if isinstance(t, dict) else []:
            name = p.get("name") if isinstance(p, dict) else None
            if name and name != host and name not in peers and hostvars and name in hostvars:
                peers[name] = hostvars[name].get("azb_zones") or []
    return implied.BoxView(host, box, peers)


def _run(what, fn):
    try:
        return fn()
    except ValidationError as exc:
        raise AnsibleFilterError("%s: %s" % (what, exc))


def azb_site_inputs(box, host, hostvars=None, declared=None):
    return _run("azb_box_inputs", lambda: implied.box_inputs(_view(box, host, hostvars), declared))


def azb_site_zones(box, host, hostvars=None):
    return _run("azb_zones", lambda: implied.wired_zones(_view(box, host, hostvars)))


def azb_site_wan_tunnels(box, host, hostvars=None, declared=None):
    return _run("azb_wan_tunnels", lambda: implied.wan_tunnels(_view(box, host, hostvars), declared))


def azb_site_routing_tunnels(box, host, hostvars=None):
    return _run("azb_routing.tunnels", lambda: implied.routing_tunnels(_view(box, host, hostvars)))


def azb_site_vpn_tunnels(box, host, hostvars=None):
    return _run("azb_vpn_tunnels", lambda: implied.vpn_tunnels(_view(box, host, hostvars)))


def azb_vpn_peered_tunnels(tunnels, host):
    """The WireGuard tunnels (the default type) with a peer other than ``host``: the ones whose keys
    the peers must learn from each other before either side can build them (OpenVPN and IPsec
    peers authenticate with the CA's certificates; road warriors are clients, not peers)."""
    out = []
    for t in tunnels or []:
        if not isinstance(t, dict) or (t.get("type") or "wireguard") != "wireguard":
            continue
        if any(isinstance(p, dict) and p.get("name") not in (None, host) for p in t.get("peers") or []):
            out.append(t)
    return out


def azb_vpn_peer_hosts(tunnels, host, hostvars, play_hosts):
    """What azb_vpn reads of the play's other boxes (its ``play_hosts``): the public keys and zones of
    the boxes that are this one's peers in its tunnels, only those. Reading every box of the play
    made each box's call cost more as the fleet grew."""
    names = []
    for t in tunnels or []:
        peers = [p for p in (t.get("peers") or []) if isinstance(p, dict)] if isinstance(t, dict) else []
        if not any(p.get("name") == host for p in peers):
            continue  # not built on this box: its peers are not asked for
        for p in peers:
            name = p.get("name")
            if name and name != host and name in play_hosts and name not in names:
                names.append(name)
    return dict((n, {"public_keys": _fact(hostvars[n], "azb_vpn_public_keys") or {},
                     "zones": hostvars[n].get("azb_zones") or []}) for n in names)


def _fact(host_vars, name):
    """A fact a module returned, under ansible_facts (where it is whether or not Ansible also injects
    facts as variables: ansible.cfg does not, it cost a copy of every fact per task and box)."""
    return (host_vars.get("ansible_facts") or {}).get(name)


def azb_site_hosts(declared, vms=None):
    return _run("azb_hosts", lambda: inv_hosts.with_vms(declared, vms))


def azb_site_forwards(declared, vms=None, hosts=None, custom_profiles=None):
    return _run("azb_port_forwards", lambda: implied.vm_forwards(vms, hosts, declared, custom_profiles))


class FilterModule(object):
    def filters(self):
        return {"azb_site_inputs": azb_site_inputs, "azb_site_zones": azb_site_zones,
                "azb_site_wan_tunnels": azb_site_wan_tunnels, "azb_site_hosts": azb_site_hosts,
                "azb_site_forwards": azb_site_forwards, "azb_site_routing_tunnels": azb_site_routing_tunnels,
                "azb_site_vpn_tunnels": azb_site_vpn_tunnels, "azb_vpn_peered_tunnels": azb_vpn_peered_tunnels,
                "azb_vpn_peer_hosts": azb_vpn_peer_hosts}
