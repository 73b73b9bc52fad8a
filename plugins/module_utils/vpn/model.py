# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPN intent of one appliance, validated and normalised (no system access).

Tunnels are declared once for the whole estate (group_vars): each lists its ``peers``. A peer whose
``name`` is this appliance is "self" (its address becomes the interface address, its zones the
local networks); the other peers are either managed appliances (their public key comes from the
play, or, on a ``--limit`` run, from what this appliance already has deployed) or declared unmanaged
peers (with ``public_key``). Tunnels that do not list this appliance are not built here.

``validate(params, ctx)`` returns the tunnels this appliance runs, or raises SpecError with the
field path of the first bad value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import ipaddress
import re

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import tunnels as inv_tunnels
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inv_zones
from ansible_collections.azblink.nfv.plugins.module_utils.pki.errors import SpecError

TYPES = ("wireguard", "openvpn", "ipsec")
# How the networks behind a tunnel are routed: from the peers' allowed IPs (static), or learned by
# OSPF over the tunnel (the routing role sets it for a tunnel its OSPF runs on).
ROUTINGS = ("static", "ospf")
ANY = "0.0.0.0/0"
IFNAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PORTS = {"wireguard": 51820, "openvpn": 1194, "ipsec": 500}
PROTOS = {"wireguard": "udp", "openvpn": "udp", "ipsec": "udp"}


class Peer(object):
    def __init__(self, name, address, public_key, endpoint, allowed_ips, keepalive, managed,
                 certificate=None, identity=None):
        self.name = name
        self.address = address          # tunnel address (no prefix) or None
        self.public_key = public_key
        self.endpoint = endpoint        # "host:port" or None
        self.allowed_ips = allowed_ips  # list of CIDR strings, tunnel /32 first
        self.keepalive = keepalive
        self.managed = managed
        self.certificate = certificate
        self.identity = identity
        self.everything = False         # WireGuard: the tunnel's only peer, OSPF routes over it

    def wireguard_allowed(self):
        """What WireGuard sends to this peer (its networks; everything when OSPF routes the tunnel)."""
        return [ANY] if self.everything else self.allowed_ips

    def record(self):
        """What this appliance remembers about the peer (for later --limit runs)."""
        return {"public_key": self.public_key, "allowed_ips": self.allowed_ips,
                "endpoint": self.endpoint, "address": self.address}


class Client(object):
    def __init__(self, name, address, public_key=None, certificate=None, dns=None):
        self.name = name
        self.address = address
        self.public_key = public_key      # WireGuard: the client's own key (else generated here)
        self.certificate = certificate    # OpenVPN: certificate name in the CA
        self.dns = dns or []


class Tunnel(object):
    def __init__(self, **kw):
        self.name = kw["name"]
        self.type = kw["type"]
        self.network = kw["network"]          # ipaddress.IPv4Network
        self.address = kw["address"]          # "10.99.0.1/24"
        self.port = kw["port"]
        self.proto = kw.get("proto", "udp")
        self.table = kw.get("table")
        self.keepalive = kw.get("keepalive", 25)
        self.mtu = kw.get("mtu")
        self.endpoint = kw.get("endpoint")    # how clients reach this appliance ("host:port")
        self.local_networks = kw.get("local_networks", [])
        self.peers = kw.get("peers", [])
        self.clients = kw.get("clients", [])
        self.certificate = kw.get("certificate")   # openvpn server / ipsec local certificate
        self.identity = kw.get("identity")
        self.index = kw.get("index", 0)
        self.host = kw.get("host")             # this appliance's name among the peers
        self.routing = kw.get("routing") or "static"

    @property
    def unit(self):
        return "azb-vpn-%s.service" % self.name

    @property
    def routing_table(self):
        return self.table if self.table else "main"

    def routes(self):
        """Networks routed into the tunnel (beyond its own connected network); none when OSPF routes."""
        if self.routing == "ospf":
            return []
        out = []
        for p in self.peers:
            for cidr in p.allowed_ips:
                net = ipaddress.ip_network(cidr, strict=False)
                if not net.subnet_of(self.network):
                    out.append(str(net))
        return sorted(set(out), key=lambda s: (ipaddress.ip_network(s).network_address, s))


def _net(value, path):
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise SpecError(path, "%r is not a network in CIDR form (%s)" % (value, exc))
    if net.version != 4:
        raise SpecError(path, "only IPv4 networks are supported")
    return net


def _int(value, path, low, high):
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise SpecError(path, "%r is not an integer" % (value,))
    if not low <= out <= high:
        raise SpecError(path, "%d is out of range %d..%d" % (out, low, high))
    return out


def wg_key_ok(key):
    try:
        return len(base64.b64decode(key, validate=True)) == 32
    except Exception:
        return False


def zone_networks(zones, path_of_zones, names, who, zones_path="zones"):
    """Zone names -> their networks, read by the shared inventory model (``address`` a string or a
    list; by default every trusted zone that has an address)."""
    try:
        parsed = inv_zones.parse(zones or [], zones_path)
        return inv_tunnels.local_networks(parsed, names, path_of_zones, who)
    except ValidationError as exc:
        raise SpecError(exc.path, exc.reason)


def _endpoint(value, port, path):
    if value is None:
        return None
    value = str(value)
    host, sep, p = value.rpartition(":")
    if not sep or "." not in value and not host:
        host, p = value, port
    if not host:
        raise SpecError(path, "%r is not host[:port]" % value)
    return "%s:%d" % (host, _int(p, path, 1, 65535))


def _address(value, network, path, taken):
    try:
        addr = ipaddress.ip_address(str(value).split("/", maxsplit=1)[0])
    except ValueError:
        raise SpecError(path, "%r is not an IPv4 address" % (value,))
    if addr not in network or addr in (network.network_address, network.broadcast_address):
        raise SpecError(path, "%s is not a usable address of the tunnel network %s" % (addr, network))
    if str(addr) in taken:
        raise SpecError(path, "%s is already used by %s" % (addr, taken[str(addr)]))
    taken[str(addr)] = path
    return str(addr)


def validate(params, ctx):
    """ctx: host, zones (this host's), play_hosts {name: {public_keys, zones}}, deployed
    {tunnel: {peer: record}}, certificates (names available in the CA, or None: unknown),
    revoked (certificate names the CA revoked: their clients are left out, the CRL refuses them)."""
    host = ctx["host"]
    play = ctx.get("play_hosts") or {}
    deployed = ctx.get("deployed") or {}
    certs = ctx.get("certificates")
    tunnels, names, nets, ports = [], {}, [], {}
    for i, t in enumerate(params.get("tunnels") or []):
        tp = "tunnels[%d]" % i
        if not isinstance(t, dict):
            raise SpecError(tp, "must be a dictionary")
        name = t.get("name")
        if not isinstance(name, str) or not IFNAME_RE.match(name):
            raise SpecError(tp + ".name", "%r is not a valid interface name (a-z, 0-9, -, at most 15)"
                            % (name,))
        if name in names:
            raise SpecError(tp + ".name", "%r is already used by tunnels[%d]" % (name, names[name]))
        names[name] = i
        ttype = t.get("type", "wireguard")
        if ttype not in TYPES:
            raise SpecError(tp + ".type", "%r is not one of %s" % (ttype, ", ".join(TYPES)))
        network = _net(t.get("network"), tp + ".network")
        for j, other in nets:
            if network.overlaps(other):
                raise SpecError(tp + ".network", "%s overlaps tunnels[%d].network %s" % (network, j, other))
        nets.append((i, network))
        port = _int(t.get("port", DEFAULT_PORTS[ttype]), tp + ".port", 1, 65535)
        table = t.get("table")
        if table is not None:
            table = _int(table, tp + ".table", 1, 2 ** 31 - 1)
            if table in (253, 254, 255):
                raise SpecError(tp + ".table", "%d is a reserved routing table" % table)
        keepalive = _int(t.get("keepalive", 25), tp + ".keepalive", 0, 3600)
        mtu = t.get("mtu")
        if mtu is not None:
            mtu = _int(mtu, tp + ".mtu", 576, 9000)

        routing = t.get("routing") or "static"
        if routing not in ROUTINGS:
            raise SpecError(tp + ".routing", "%r is not one of %s" % (routing, ", ".join(ROUTINGS)))
        if routing == "ospf":
            check_ospf(t, tp)
        peers_in = t.get("peers") or []
        selves = [j for j, p in enumerate(peers_in) if isinstance(p, dict) and p.get("name") == host]
        if not selves:
            continue  # not built on this appliance (the port check still covers it elsewhere)
        key = (PROTOS[ttype], port)
        if key in ports:
            raise SpecError(tp + ".port", "%s/%d is already used by tunnels[%d]" % (key[0], port, ports[key]))
        ports[key] = i
        taken, peers, self_peer, seen = {}, [], None, {}
        for j, p in enumerate(peers_in):
            pp = "%s.peers[%d]" % (tp, j)
            if not isinstance(p, dict):
                raise SpecError(pp, "must be a dictionary")
            pname = p.get("name")
            if not isinstance(pname, str) or not NAME_RE.match(pname):
                raise SpecError(pp + ".name", "%r is not a valid peer name" % (pname,))
            if pname in seen:
                raise SpecError(pp + ".name", "peer %r is already %s" % (pname, seen[pname]))
            seen[pname] = pp
            address = _address(p["address"], network, pp + ".address", taken) if p.get("address") else None
            endpoint = _endpoint(p.get("endpoint"), port, pp + ".endpoint")
            extra = [str(_net(n, "%s.networks[%d]" % (pp, k))) for k, n in enumerate(p.get("networks") or [])]
            if pname == host:
                if address is None and ttype != "ipsec":
                    raise SpecError(pp + ".address", "this appliance needs an address in the tunnel")
                local = zone_networks(ctx.get("zones"), pp + ".zones", p.get("zones"), "this appliance")
                self_peer = dict(address=address, endpoint=endpoint, networks=local + extra,
                                 certificate=p.get("certificate"), identity=p.get("identity"))
                continue
            declared = p.get("public_key")
            record = (deployed.get(name) or {}).get(pname)
            if declared:
                if ttype == "wireguard" and not wg_key_ok(declared):
                    raise SpecError(pp + ".public_key", "is not a WireGuard public key (32 bytes, base64)")
                pub, managed, nets_of_peer = declared, False, None
            elif pname in play:
                pub = (play[pname].get("public_keys") or {}).get(name)
                managed = True
                nets_of_peer = zone_networks(play[pname].get("zones"), pp + ".zones", p.get("zones"),
                                             "appliance %r" % pname, "play_hosts.%s.zones" % pname)
            elif record:
                pub, managed = record.get("public_key"), True
                nets_of_peer = [n for n in record.get("allowed_ips", [])
                                if address is None or n != address + "/32"]
                nets_of_peer = [n for n in nets_of_peer if n not in extra]
            elif ttype == "wireguard":
                raise SpecError(pp, "peer %r is neither in the play nor declared (give public_key for "
                                    "an unmanaged peer, or include the appliance in the play)" % pname)
            else:
                pub, managed, nets_of_peer = None, pname in play, []
            if ttype == "wireguard" and not pub and ctx.get("check_mode") and managed:
                pub = "(generated on apply)"  # check mode before the peer's first run
            if ttype == "wireguard" and not pub:
                raise SpecError(pp, "peer %r has no WireGuard key yet (run the vpn role with %r in "
                                    "the play first)" % (pname, pname))
            allowed = ([address + "/32"] if address else []) + (nets_of_peer or []) + extra
            peers.append(Peer(pname, address, pub, endpoint, allowed, _int(p.get("keepalive", keepalive),
                              pp + ".keepalive", 0, 3600), managed,
                              certificate=p.get("certificate"), identity=p.get("identity")))
        if ttype == "openvpn" and peers:
            raise SpecError(tp + ".peers", "an openvpn tunnel is client-to-site: list only the "
                                           "appliance that serves it, and its road warriors in clients")
        if ttype == "ipsec" and len(peers) != 1:
            raise SpecError(tp + ".peers", "an ipsec tunnel joins exactly two sites")
        if routing == "ospf":
            for p in peers:
                p.everything = True  # the one peer: hellos, learned routes, the tunnel's own network
        _check_allowed_overlaps(peers, tp)
        clients = _clients(t, tp, ttype, network, taken, certs, ctx.get("revoked"))
        if ttype == "openvpn" and not t.get("certificate"):
            raise SpecError(tp + ".certificate", "an openvpn tunnel needs the server's certificate name")
        if ttype in ("openvpn", "ipsec") and certs is not None:
            cert = t.get("certificate") or self_peer.get("certificate")
            if cert and cert not in certs:
                raise SpecError(tp + ".certificate", "no certificate %r in the CA on this appliance" % cert)
        if ttype == "ipsec" and not (t.get("certificate") or self_peer.get("certificate")):
            raise SpecError(tp + ".certificate", "an ipsec tunnel authenticates with a certificate")
        if clients and not self_peer["endpoint"]:
            raise SpecError("%s.peers[%d].endpoint" % (tp, selves[0]),
                            "clients need this appliance's public endpoint in their configuration")
        tunnels.append(Tunnel(name=name, type=ttype, network=network,
                              address="%s/%d" % (self_peer["address"], network.prefixlen)
                              if self_peer["address"] else None,
                              port=port, table=table, keepalive=keepalive, mtu=mtu,
                              endpoint=self_peer["endpoint"], local_networks=self_peer["networks"],
                              peers=peers, clients=clients,
                              certificate=t.get("certificate") or self_peer.get("certificate"),
                              identity=self_peer.get("identity"), index=i, host=host, routing=routing))
    return tunnels


def check_ospf(t, tp):
    """A tunnel OSPF runs over (raw ``t`` at path ``tp``): WireGuard, point-to-point.

    WireGuard sends a packet to the peer whose allowed IPs hold its destination, and OSPF's hellos go
    to 224.0.0.5 and its routes change: only with one peer can every destination (0.0.0.0/0) be
    that peer's, and the tunnel carry both the hellos and whatever OSPF learns through it.
    """
    ttype = t.get("type") or "wireguard"
    if ttype != "wireguard":
        raise SpecError(tp + ".type", "OSPF runs over WireGuard tunnels (%s here has no point-to-point interface"
                                      " for its hellos)" % ttype)
    peers = t.get("peers") or []
    if len(peers) != 2:
        raise SpecError(tp + ".peers", "OSPF over WireGuard needs a point-to-point tunnel: exactly two peers"
                                       " (got %d), since WireGuard picks the peer by allowed IPs and the"
                                       " one other peer's must be 0.0.0.0/0 (hellos to 224.0.0.5, learned"
                                       " routes); give each pair of sites its own tunnel" % len(peers))
    if t.get("clients"):
        raise SpecError(tp + ".clients", "a tunnel OSPF runs over has no road-warrior clients (its one peer"
                                         " takes every address): serve them on another tunnel")


def _check_allowed_overlaps(peers, tp):
    seen = []
    for j, p in enumerate(peers):
        for cidr in p.allowed_ips:
            net = ipaddress.ip_network(cidr)
            for other_name, other in seen:
                if other_name != p.name and net.overlaps(other):
                    raise SpecError(tp + ".peers", "peer %r's networks (%s) overlap peer %r's (%s): "
                                    "traffic would go to only one of them" % (p.name, net, other_name, other))
            seen.append((p.name, net))


def _clients(t, tp, ttype, network, taken, certs, ctx_revoked=None):
    out, seen = [], {}
    for j, c in enumerate(t.get("clients") or []):
        cp = "%s.clients[%d]" % (tp, j)
        if not isinstance(c, dict):
            raise SpecError(cp, "must be a dictionary")
        cname = c.get("name")
        if not isinstance(cname, str) or not NAME_RE.match(cname):
            raise SpecError(cp + ".name", "%r is not a valid client name" % (cname,))
        if cname in seen:
            raise SpecError(cp + ".name", "client %r is already %s" % (cname, seen[cname]))
        seen[cname] = cp
        if not c.get("address"):
            raise SpecError(cp + ".address", "every client gets a static address in the tunnel")
        address = _address(c["address"], network, cp + ".address", taken)
        if ttype == "ipsec":
            raise SpecError(cp, "ipsec tunnels here are site-to-site; use wireguard or openvpn for clients")
        pub = c.get("public_key")
        if pub and not wg_key_ok(pub):
            raise SpecError(cp + ".public_key", "is not a WireGuard public key (32 bytes, base64)")
        cert = None
        if ttype == "openvpn":
            cert = c.get("certificate")
            if not cert:
                raise SpecError(cp + ".certificate", "client %r has no certificate (name of its "
                                                     "certificate in the CA)" % cname)
            if cert in (ctx_revoked or ()):
                continue  # revoked: no bundle, no static address; the CRL refuses it
            if certs is not None and cert not in certs:
                raise SpecError(cp + ".certificate", "client %r's certificate %r is not in the CA on "
                                                     "this appliance (not issued, or revoked)" % (cname, cert))
        out.append(Client(cname, address, pub, cert, c.get("dns")))
    return out
