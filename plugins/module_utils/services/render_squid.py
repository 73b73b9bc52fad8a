# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderer of squid.conf for the explicit forward proxy of an ``Edge``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HEADER = "# Managed by azblink.nfv (azb_edge_services): changes here are overwritten.\n"
CONFIG = "/etc/squid/squid.conf"
ACCESS_LOG = "/var/log/squid/access.log"


def render(proxy):
    lines = [HEADER.rstrip("\n")]
    for addr in proxy.listen or [None]:
        lines.append("http_port %s%d" % ("%s:" % (addr if ":" not in addr else "[%s]" % addr) if addr else "",
                                         proxy.port))
    lines += ["acl azb_allowed src %s" % " ".join(proxy.allow),
              "acl SSL_ports port 443",
              "acl Safe_ports port 80 443 1025-65535",
              "acl CONNECT method CONNECT"]
    if proxy.deny_domains:
        # -n: match the URL's name only, no reverse lookups of literal addresses.
        lines.append("acl azb_denied dstdomain -n %s" % " ".join(proxy.deny_domains))
    lines += ["http_access deny !Safe_ports",
              "http_access deny CONNECT !SSL_ports",
              "http_access allow localhost manager",
              "http_access deny manager"]
    if proxy.deny_domains:
        lines.append("http_access deny azb_denied")
    lines += ["http_access allow azb_allowed",
              "http_access deny all",
              # The default 'squid' format: time, elapsed, client address, code/status, bytes, method, URL.
              "access_log daemon:%s squid" % ACCESS_LOG,
              "cache deny all",
              "cache_mem 8 MB",
              "coredump_dir /var/spool/squid",
              "shutdown_lifetime 3 seconds"]
    if proxy.dns:
        lines.append("dns_nameservers %s" % " ".join(proxy.dns))
    return "\n".join(lines) + "\n"
