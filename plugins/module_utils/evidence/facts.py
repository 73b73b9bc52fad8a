# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What else the evidence report states about a box, read live (system adapter): the ruleset's
hash, WAN state, VMs and tunnel peers. A source that is absent is reported as absent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

from ansible_collections.azblink.nfv.plugins.module_utils import audit

WAN_STATE = "/run/azblink/wan-state.json"


def _out(argv):
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except OSError:
        return None
    return res.stdout if res.returncode == 0 else None


# The same hash the audit records and the metrics carry (stateless listing: counters left out).
ruleset_sha256 = audit.live_ruleset_sha256


def wan_state():
    try:
        with open(WAN_STATE) as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        return None
    return {"active": state.get("active"),
            "wans": dict((n, bool(w.get("up"))) for n, w in state.get("wans", {}).items())}


def vms():
    if not os.path.exists("/run/libvirt/libvirt-sock"):
        return []
    names = (_out(["virsh", "-c", "qemu:///system", "list", "--all", "--name"]) or "").split()
    running = set((_out(["virsh", "-c", "qemu:///system", "list", "--name"]) or "").split())
    return [{"name": n, "running": n in running} for n in names]


def tunnel_peers():
    """WireGuard peers with their last handshake (public keys shortened: they identify, not secret)."""
    out = []
    for line in (_out(["wg", "show", "all", "latest-handshakes"]) or "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append({"interface": parts[0], "peer": parts[1][:8], "handshake": int(parts[2])})
    return out
