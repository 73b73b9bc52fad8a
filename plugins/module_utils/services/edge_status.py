# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the edge services are doing: haproxy's own view of every server (from its admin socket) and
whether squid runs. Read-only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import socket

ADMIN_SOCKET = "/run/haproxy/admin.sock"


def parse_stat(text):
    """``show stat`` CSV -> {balancer: {"frontend": {...}, "servers": {name: {...}}}} for our proxies."""
    lines = (text or "").lstrip("# ").splitlines()
    out = {}
    for row in csv.DictReader(lines):
        pxname, svname = row.get("pxname", ""), row.get("svname", "")
        if pxname.startswith("fe_") and svname == "FRONTEND":
            out.setdefault(pxname[3:], {"servers": {}})["frontend"] = {
                "status": row.get("status"), "sessions_total": _int(row.get("stot")),
                "sessions_current": _int(row.get("scur"))}
        elif pxname.startswith("be_") and svname not in ("BACKEND", "FRONTEND"):
            out.setdefault(pxname[3:], {"servers": {}})["servers"][svname] = {
                "status": row.get("status"), "sessions_total": _int(row.get("stot")),
                "sessions_current": _int(row.get("scur")), "check": row.get("check_status") or None,
                "downtime_s": _int(row.get("downtime"))}
    return out


def haproxy_stat(path=ADMIN_SOCKET, timeout=2.0):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(b"show stat\n")
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except (OSError, socket.error):
        return None
    finally:
        sock.close()
    return b"".join(chunks).decode("utf-8", "replace")


def gather(ad, stat_text=None):
    haproxy_running = ad.unit_active("haproxy.service")
    text = stat_text if stat_text is not None else (haproxy_stat() if haproxy_running else None)
    return {
        "haproxy": {"running": haproxy_running, "enabled": ad.unit_enabled("haproxy.service"),
                    "balancers": parse_stat(text) if text else {}},
        "squid": {"running": ad.unit_active("squid.service"), "enabled": ad.unit_enabled("squid.service")},
    }


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
