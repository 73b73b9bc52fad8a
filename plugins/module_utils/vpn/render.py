# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers: validated tunnels in, file contents out (WireGuard, OpenVPN, swanctl, systemd).

Secrets are never rendered: a file that needs one carries a placeholder ``{{secret:NAME}}`` that the
adapter fills in from a key file on the appliance at write time. Diffs and ``state=rendered`` show
the placeholder as ``(secret)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

SECRET_RE = re.compile(r"\{\{secret:([^}]+)\}\}")
HEADER = "# Managed by azblink.nfv (azb_vpn): tunnel %s. Local changes are overwritten.\n"


class Artifact(object):
    """One file: path, content (with secret placeholders), mode, and what to do when it changes."""

    def __init__(self, path, content, mode=0o644, on_change="restart", kind="config"):
        self.path = path
        self.content = content
        self.mode = mode
        self.on_change = on_change   # restart | reload | none
        self.kind = kind             # config | unit | export | record | daemon:UNIT (restart UNIT first)

    def secrets(self):
        return SECRET_RE.findall(self.content)

    def redacted(self):
        return SECRET_RE.sub("(secret)", self.content)


class Paths(object):
    def __init__(self, config_dir="/etc/azblink/vpn", export_dir="/etc/azblink/vpn/export",
                 unit_dir="/etc/systemd/system", pki_dir="/etc/azblink/pki",
                 swanctl_dir="/etc/swanctl"):
        self.config_dir = config_dir
        self.export_dir = export_dir
        self.unit_dir = unit_dir
        self.pki_dir = pki_dir
        self.swanctl_dir = swanctl_dir

    def tunnel_dir(self, t):
        return "%s/%s" % (self.config_dir, t.name)

    def key(self, t):
        return "%s/private.key" % self.tunnel_dir(t)

    def client_key(self, t, c):
        return "%s/clients/%s.key" % (self.tunnel_dir(t), c.name)

    def tls_crypt(self, t):
        return "%s/tls-crypt.key" % self.tunnel_dir(t)

    def unit(self, t):
        return "%s/%s" % (self.unit_dir, t.unit)

    def export(self, t, c, ext):
        return "%s/%s/%s.%s" % (self.export_dir, t.name, c.name, ext)

    def cert(self, name):
        return "%s/certs/%s.crt" % (self.pki_dir, name)

    def cert_key(self, name):
        return "%s/private/%s.key" % (self.pki_dir, name)


def _mask(net):
    n = ipaddress.ip_network(net)
    return "%s %s" % (n.network_address, n.netmask)


def route_lines(t, dev):
    """`ip route` commands that send the tunnel's remote networks into it (main and its table)."""
    lines = []
    for net in t.routes():
        lines.append("route replace %s dev %s" % (net, dev))
    if t.table:
        lines.append("route replace %s dev %s table %d" % (t.network, dev, t.table))
        for net in t.routes():
            lines.append("route replace %s dev %s table %d" % (net, dev, t.table))
    return lines


# ------------------------------------------------------------------ WireGuard

def wg_conf(t, paths):
    out = [HEADER % t.name.rstrip(), "[Interface]", "PrivateKey = {{secret:%s}}" % paths.key(t),
           "ListenPort = %d" % t.port, ""]
    for p in t.peers:
        out.append("# peer %s (%s)" % (p.name, "appliance" if p.managed else "declared"))
        out.append("[Peer]")
        out.append("PublicKey = %s" % p.public_key)
        out.append("AllowedIPs = %s" % ", ".join(p.wireguard_allowed()))
        if p.endpoint:
            out.append("Endpoint = %s" % p.endpoint)
        if p.keepalive:
            out.append("PersistentKeepalive = %d" % p.keepalive)
        out.append("")
    for c in t.clients:
        out.append("# client %s" % c.name)
        out.append("[Peer]")
        out.append("PublicKey = %s" % (c.public_key or "{{pubkey:%s}}" % paths.client_key(t, c)))
        out.append("AllowedIPs = %s/32" % c.address)
        out.append("")
    return "\n".join(out)


def wg_unit(t, paths, implementation):
    conf = "%s/wg.conf" % paths.tunnel_dir(t)
    routes = "%s/routes" % paths.tunnel_dir(t)
    create = ("/usr/bin/wireguard-go %s" % t.name if implementation == "wireguard-go"
              else "/sbin/ip link add %s type wireguard" % t.name)
    lines = [
        "# Managed by azblink.nfv (azb_vpn)",
        "[Unit]",
        "Description=azblink VPN tunnel %s (WireGuard, %s)" % (t.name, implementation),
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStartPre=-/sbin/ip link del %s" % t.name,
        "ExecStart=%s" % create,
        "ExecStart=/usr/bin/wg setconf %s %s" % (t.name, conf),
        "ExecStart=/sbin/ip address replace %s dev %s" % (t.address, t.name),
        # OSPF's hellos go to 224.0.0.5: a kernel WireGuard device is not multicast-capable by default.
        "ExecStart=/sbin/ip link set %s%s mtu %d up" % (t.name, " multicast on" if t.routing == "ospf" else "",
                                                        t.mtu or 1420),
        "ExecStart=/sbin/ip -batch %s" % routes,
        "ExecReload=/usr/bin/wg syncconf %s %s" % (t.name, conf),
        "ExecReload=/sbin/ip -batch %s" % routes,
        "ExecStop=/sbin/ip link del %s" % t.name,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


def wg_client_conf(t, c, paths):
    allowed = [str(t.network)] + list(t.local_networks)
    out = ["# azblink.nfv road-warrior configuration: client %s of tunnel %s" % (c.name, t.name),
           "[Interface]",
           "PrivateKey = %s" % ("(your own private key)" if c.public_key
                                else "{{secret:%s}}" % paths.client_key(t, c)),
           "Address = %s/32" % c.address]
    if c.dns:
        out.append("DNS = %s" % ", ".join(c.dns))
    out += ["", "[Peer]", "PublicKey = {{pubkey:%s}}" % paths.key(t),
            "Endpoint = %s" % t.endpoint, "AllowedIPs = %s" % ", ".join(allowed)]
    if t.keepalive:
        out.append("PersistentKeepalive = %d" % t.keepalive)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ OpenVPN

def ovpn_server_conf(t, paths):
    d = paths.tunnel_dir(t)
    net = t.network
    lines = [HEADER % t.name,
             "dev %s" % t.name, "dev-type tun", "topology subnet", "proto udp", "port %d" % t.port,
             "mode server", "tls-server",
             "ifconfig %s %s" % (t.address.split("/")[0], net.netmask),
             "push \"topology subnet\"",
             "push \"route-gateway %s\"" % t.address.split("/")[0],
             "client-config-dir %s/ccd" % d,
             "ca %s/ca.crt" % paths.pki_dir,
             "cert %s" % paths.cert(t.certificate),
             "key %s" % paths.cert_key(t.certificate),
             "crl-verify %s/crl.pem" % paths.pki_dir,
             "dh none", "ecdh-curve prime256v1",
             "tls-crypt %s" % paths.tls_crypt(t),
             "tls-version-min 1.2", "remote-cert-tls client",
             "data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305",
             "keepalive 10 60", "persist-key", "persist-tun",
             "script-security 2", "up %s/up.sh" % d,
             "verb 3"]
    for net_s in t.local_networks:
        lines.append("push \"route %s\"" % _mask(net_s))
    return "\n".join(lines) + "\n"


def ovpn_up_script(t):
    lines = ["#!/bin/sh", "# Managed by azblink.nfv (azb_vpn): routes of tunnel %s" % t.name]
    if t.table:
        lines.append("/sbin/ip route replace %s dev %s table %d" % (t.network, t.name, t.table))
    lines.append("exit 0")
    return "\n".join(lines) + "\n"


def ovpn_ccd(t, c):
    return "# client %s\nifconfig-push %s %s\n" % (c.name, c.address, t.network.netmask)


def ovpn_unit(t, paths):
    return "\n".join([
        "# Managed by azblink.nfv (azb_vpn)",
        "[Unit]",
        "Description=azblink VPN tunnel %s (OpenVPN server)" % t.name,
        "After=network-online.target", "Wants=network-online.target", "",
        "[Service]", "Type=notify",
        "ExecStart=/usr/sbin/openvpn --suppress-timestamps --config %s/server.conf" % paths.tunnel_dir(t),
        "Restart=on-failure", "RestartSec=2", "",
        "[Install]", "WantedBy=multi-user.target", ""])


def ovpn_bundle(t, c, paths):
    return "\n".join([
        "# azblink.nfv OpenVPN bundle: client %s of tunnel %s" % (c.name, t.name),
        "client", "dev tun", "proto udp", "remote %s %s" % tuple(t.endpoint.rsplit(":", 1)),
        "nobind", "persist-key", "persist-tun", "remote-cert-tls server",
        "data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305", "verb 3",
        "<ca>", "{{file:%s/ca.crt}}" % paths.pki_dir, "</ca>",
        "<cert>", "{{file:%s}}" % paths.cert(c.certificate), "</cert>",
        "<key>", "{{secret:%s}}" % paths.cert_key(c.certificate), "</key>",
        "<tls-crypt>", "{{secret:%s}}" % paths.tls_crypt(t), "</tls-crypt>", ""])


# ------------------------------------------------------------------ IPsec (strongSwan swanctl)

def ipsec_backend(t):
    """C(xfrm) (kernel ESP, an XFRM interface per tunnel) or C(libipsec) (strongSwan's userspace ESP
    over a TUN device, UDP-encapsulated, for kernels without ESP)."""
    return getattr(t, "backend", None) or "xfrm"


def swanctl_conf(t, paths):
    """One swanctl connection: certificate authentication, IKEv2, tunnel mode. With the xfrm backend
    the routes go through an XFRM interface named after the tunnel (if_id = table, or the tunnel's
    index + 1); with libipsec through strongSwan's TUN device (ESP in UDP)."""
    p = t.peers[0]
    if_id = t.table or (t.index + 1)
    local_ts = ",".join(t.local_networks) or "0.0.0.0/0"
    remote_ts = ",".join(n for n in p.allowed_ips) or "0.0.0.0/0"
    remote_addr = p.endpoint.rsplit(":", 1)[0] if p.endpoint else "%any"
    local_addr = t.endpoint.rsplit(":", 1)[0] if t.endpoint else "%any"
    libipsec = ipsec_backend(t) == "libipsec"
    # one side initiates (the name that sorts first), the other responds: no simultaneous IKE_SAs
    initiator = (t.host or "") < p.name
    lines = [
        HEADER % t.name.rstrip(),
        "connections {",
        "  %s {" % t.name,
        "    version = 2",
        "    local_addrs = %s" % local_addr,
        "    remote_addrs = %s" % remote_addr,
        "    proposals = aes256gcm16-prfsha256-ecp256",
        "    dpd_delay = %ds" % (t.keepalive or 30),
        "    unique = replace",
    ]
    if libipsec:
        lines.append("    encap = yes")
    else:
        lines += ["    if_id_in = %d" % if_id, "    if_id_out = %d" % if_id]
    lines += [
        "    local {",
        "      auth = pubkey",
        "      certs = %s.crt" % t.certificate,
        "      id = \"%s\"" % (t.identity or "CN=%s" % t.certificate),
        "    }",
        "    remote {",
        "      auth = pubkey",
        "      id = \"%s\"" % (p.identity or "CN=%s" % (p.certificate or p.name)),
        "    }",
        "    children {",
        "      %s {" % t.name,
        "        local_ts = %s" % local_ts,
        "        remote_ts = %s" % remote_ts,
        "        esp_proposals = aes256gcm16-ecp256",
        "        start_action = %s" % ("start" if initiator else "none"),
        "        dpd_action = %s" % ("restart" if initiator else "clear"),
        "        close_action = %s" % ("start" if initiator else "none"),
        "      }",
        "    }",
        "  }",
        "}",
        ""]
    return "\n".join(lines)


LIBIPSEC_CONF = """# Managed by azblink.nfv (azb_vpn): ESP in userspace (the kernel has none)
charon {
  plugins {
    kernel-libipsec {
      load = yes
    }
  }
}
charon-systemd {
  plugins {
    kernel-libipsec {
      load = yes
    }
  }
}
"""


def ipsec_unit(t, paths):
    libipsec = ipsec_backend(t) == "libipsec"
    dev = "ipsec0" if libipsec else t.name
    if_id = t.table or (t.index + 1)
    routes = ["ExecStart=/sbin/ip %s" % r for r in route_lines(t, dev)] if not libipsec or t.table else []
    if libipsec:
        # strongSwan routes the remote networks itself (table 220 via ipsec0); only the tunnel's own
        # table is ours
        routes = ["ExecStart=/sbin/ip %s" % r for r in route_lines(t, dev) if " table " in r]
    link = [] if libipsec else [
        "ExecStartPre=-/sbin/ip link del %s" % t.name,
        "ExecStart=/sbin/ip link add %s type xfrm if_id %d" % (t.name, if_id),
        "ExecStart=/sbin/ip link set %s up" % t.name]
    return "\n".join([
        "# Managed by azblink.nfv (azb_vpn)",
        "[Unit]",
        "Description=azblink VPN tunnel %s (IPsec, strongSwan swanctl, %s)" % (t.name, ipsec_backend(t)),
        "After=strongswan.service", "Requires=strongswan.service", "",
        "[Service]", "Type=oneshot", "RemainAfterExit=yes",
    ] + link + [
        "ExecStart=/usr/sbin/swanctl --load-all --noprompt",
    ] + routes + [
        "ExecReload=/usr/sbin/swanctl --load-all --noprompt",
        "ExecStop=-/usr/sbin/swanctl --terminate --ike %s" % t.name,
    ] + ([] if libipsec else ["ExecStop=/sbin/ip link del %s" % t.name]) + [
        "",
        "[Install]", "WantedBy=multi-user.target", ""])


# ------------------------------------------------------------------ all artifacts of a tunnel

def peers_record(t):
    return json.dumps({"tunnel": t.name, "peers": dict((p.name, p.record()) for p in t.peers if p.managed)},
                      indent=1, sort_keys=True) + "\n"


def artifacts(t, paths, implementation="wireguard-go"):
    d = paths.tunnel_dir(t)
    out = []
    if t.type == "wireguard":
        out.append(Artifact("%s/wg.conf" % d, wg_conf(t, paths), 0o600, "reload"))
        out.append(Artifact("%s/routes" % d, "\n".join(route_lines(t, t.name)) + "\n", 0o644, "reload"))
        out.append(Artifact(paths.unit(t), wg_unit(t, paths, implementation), 0o644, "restart", "unit"))
        for c in t.clients:
            out.append(Artifact(paths.export(t, c, "conf"), wg_client_conf(t, c, paths), 0o600, "none",
                                "export"))
    elif t.type == "openvpn":
        out.append(Artifact("%s/server.conf" % d, ovpn_server_conf(t, paths), 0o644, "restart"))
        out.append(Artifact("%s/up.sh" % d, ovpn_up_script(t), 0o755, "restart"))
        for c in t.clients:
            out.append(Artifact("%s/ccd/%s" % (d, c.certificate), ovpn_ccd(t, c), 0o644, "none"))
            out.append(Artifact(paths.export(t, c, "ovpn"), ovpn_bundle(t, c, paths), 0o600, "none", "export"))
        out.append(Artifact(paths.unit(t), ovpn_unit(t, paths), 0o644, "restart", "unit"))
    else:
        out.append(Artifact("%s/conf.d/azb-%s.conf" % (paths.swanctl_dir, t.name), swanctl_conf(t, paths),
                            0o644, "reload"))
        sw = paths.swanctl_dir
        out.append(Artifact("%s/x509ca/azb-ca.crt" % sw, "{{file:%s/ca.crt}}\n" % paths.pki_dir, 0o644, "reload"))
        out.append(Artifact("%s/x509crl/azb-crl.pem" % sw, "{{file:%s/crl.pem}}\n" % paths.pki_dir, 0o644,
                            "reload"))
        out.append(Artifact("%s/x509/%s.crt" % (sw, t.certificate), "{{file:%s}}\n" % paths.cert(t.certificate),
                            0o644, "reload"))
        out.append(Artifact("%s/private/%s.key" % (sw, t.certificate),
                            "{{secret:%s}}\n" % paths.cert_key(t.certificate), 0o600, "reload"))
        if ipsec_backend(t) == "libipsec":
            out.append(Artifact("/etc/strongswan.d/zz-azb-libipsec.conf", LIBIPSEC_CONF, 0o644, "restart",
                                "daemon:strongswan.service"))
        out.append(Artifact(paths.unit(t), ipsec_unit(t, paths), 0o644, "restart", "unit"))
    out.append(Artifact("%s/peers.json" % d, peers_record(t), 0o644, "none", "record"))
    return out
