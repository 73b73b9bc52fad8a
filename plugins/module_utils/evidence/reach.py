# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reachability diff: what a ruleset change does to the zone matrix, found by probing, not by
reading rules. A scratch "router" namespace gets the zone bridges (same names, the zones' gateway
addresses, forwarding on) and a probe namespace per zone; the live ruleset is loaded into it and
the matrix probed, then the desired one, and the cells that differ are the flows the change opens
or closes. The box's own network is never touched; everything is removed afterwards.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import subprocess

from ansible_collections.azblink.nfv.plugins.module_utils.evidence import expect, probe

ROUTER = "azbrx-router"


def _run(argv, data=None):
    res = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=30, check=False)
    if res.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv[:6]), res.stderr.strip()))
    return res.stdout


def _router(zones):
    subprocess.run(["ip", "netns", "del", ROUTER], capture_output=True, check=False)
    _run(["ip", "netns", "add", ROUTER])
    _run(["ip", "netns", "exec", ROUTER, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
    _run(["ip", "-n", ROUTER, "link", "set", "lo", "up"])
    for name, bridge, _addr, plen, gw in zones:
        _run(["ip", "-n", ROUTER, "link", "add", bridge, "type", "bridge"])
        _run(["ip", "-n", ROUTER, "addr", "add", "%s/%d" % (gw, plen), "dev", bridge])
        _run(["ip", "-n", ROUTER, "link", "set", bridge, "up"])


def probe_ruleset(zones, cells, ruleset, timeout):
    """The matrix observed with RULESET loaded in a scratch router ({"from->to": bool})."""
    try:
        _router(zones)
        if ruleset:
            _run(["ip", "netns", "exec", ROUTER, "nft", "-f", "-"], data=ruleset)
        return probe.probe_matrix(zones, cells, timeout, prefix="azbrx", parent=ROUTER)
    finally:
        subprocess.run(["ip", "netns", "del", ROUTER], capture_output=True, check=False)


def ports_named(site, live_ruleset, limit=16):
    """TCP ports worth probing: the default probe port, the desired policies' and the live ones'."""
    ports = set()
    for p in site.policies:
        if p.proto == "tcp":
            ports.update(lo for lo, _hi in p.ports)
    ports.update(int(n) for n in re.findall(r"\btcp \. (\d+)", live_ruleset or ""))
    for group in re.findall(r"(?:tcp dport|l4proto tcp th dport) (\{[^}]*\}|\d+)", live_ruleset or ""):
        ports.update(int(n) for n in re.findall(r"(\d+)(?:-\d+)?", group))
    return sorted(ports)[:limit]


def diff(site, live_ruleset, desired_ruleset, port=9, timeout=1.0):
    """{"opened": [...], "closed": [...]}: zone-to-zone flows the change newly allows / refuses."""
    ports = sorted(set([port] + ports_named(site, live_ruleset)))
    cells = expect.expected(site, "tcp", ports)
    zones = []
    for z in expect.probe_zones(site):
        iface, addr = expect.probe_address(z)
        zones.append((z.name, z.bridge, addr, iface.network.prefixlen, iface.ip))
    before = probe_ruleset(zones, cells, live_ruleset, timeout)
    after = probe_ruleset(zones, cells, desired_ruleset, timeout)
    out = {"opened": [], "closed": [], "probes": len(cells), "ports": ["tcp/%d" % p for p in ports],
           "allowed_before": [], "allowed_after": []}
    for c in cells:
        key = probe.cell_key(c)
        line = "%s -> %s tcp/%d" % (c["from"], c["to"], c["port"])
        if after.get(key) and not before.get(key):
            out["opened"].append(line)
        elif before.get(key) and not after.get(key):
            out["closed"].append(line)
        if before.get(key):
            out["allowed_before"].append(line)
        if after.get(key):
            out["allowed_after"].append(line)
    return out


def as_diff(result):
    """One more entry for the module's diff: the allowed flows, live vs desired, one per line."""
    return {"before_header": "reachability, live ruleset (probed in a scratch namespace)",
            "after_header": "reachability, desired ruleset (probed in a scratch namespace)",
            "before": "".join("allowed %s\n" % line for line in result["allowed_before"]),
            "after": "".join("allowed %s\n" % line for line in result["allowed_after"])}
