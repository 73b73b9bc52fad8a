# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderer of haproxy.cfg for the load balancers / reverse proxies of an ``Edge``.

Debian's haproxy.service runs haproxy in master-worker mode (-Ws): a reload starts new workers and
lets the old ones finish their connections, so a converge never drops a client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HEADER = "# Managed by azblink.nfv (azb_edge_services): changes here are overwritten.\n"
CONFIG = "/etc/haproxy/haproxy.cfg"
TLS_DIR = "/etc/azblink/services/tls"


def pem_path(cert_name, tls_dir=TLS_DIR):
    return "%s/%s.pem" % (tls_dir, cert_name)


def _bind(b, tls_dir):
    addr = b.bind_address or ""
    if addr and ":" in addr:
        addr = "[%s]" % addr
    line = "    bind %s:%d" % (addr, b.bind_port)
    if b.certificate:
        line += " ssl crt %s" % pem_path(b.certificate, tls_dir)
    return line


def _health(b):
    h = b.health
    out = []
    if h.kind == "http":
        out.append("    option httpchk GET %s" % h.path)
        out.append("    http-check expect status 200-399")
    # A hung server (accepts, never answers) fails by the check timeout, not by a refused connect.
    out.append("    timeout check %dms" % h.timeout_ms)
    out.append("    default-server check inter %dms fastinter %dms downinter %dms fall %d rise %d"
               " on-marked-down shutdown-sessions"
               % (h.interval_ms, h.interval_ms, h.interval_ms, h.fall, h.rise))
    return out


def render(edge, tls_dir=TLS_DIR):
    lines = [HEADER.rstrip("\n"),
             "global",
             "    log stdout format short daemon",
             "    stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners",
             "    stats timeout 30s",
             "    user haproxy",
             "    group haproxy",
             "    ssl-default-bind-options ssl-min-ver TLSv1.2",
             "",
             "defaults",
             "    log global",
             "    option dontlognull",
             "    option redispatch",
             "    retries 2",
             "    timeout connect 2s",
             "    timeout client 60s",
             "    timeout server 60s",
             "    timeout http-request 10s",
             ""]
    for b in edge.balancers:
        lines += ["frontend fe_%s" % b.name,
                  "    mode %s" % b.mode,
                  "    option %slog" % b.mode,
                  _bind(b, tls_dir)]
        if b.mode == "http" and b.client_source == "forwarded":
            lines.append("    option forwardfor")
        lines += ["    default_backend be_%s" % b.name, "",
                  "backend be_%s" % b.name,
                  "    mode %s" % b.mode,
                  "    balance %s" % b.balance]
        lines += _health(b)
        for s in b.servers:
            addr = "[%s]" % s.address if ":" in s.address else s.address
            # A server that expects the PROXY header expects it on the health checks' connections too.
            extra = " send-proxy-v2 check-send-proxy" if b.client_source == "proxy" else ""
            lines.append("    server %s %s:%d%s" % (s.name, addr, s.port, extra))
        lines.append("")
    return "\n".join(lines) + "\n"
