# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each packet of a chain goes next, given which VNF instances are healthy.

Pure functions over plain data (the chain as ``render.health_config`` writes it), shared by the
module (the initial maps) and the health service on the box (it imports this very file), so the
maps nft holds are computed by one piece of code.

A chain's traffic is spread per connection over ``BUCKETS`` buckets of a symmetric hash (``symhash``:
the same for both directions of a flow, and for every pass of it, since routed hops do not rewrite
it). A bucket prefers instance ``bucket % len(instances)``, so a failure moves only the flows of the
instance that failed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

BUCKETS = 16
ROUTE_SHIFT = 16
ROUTE_MAIN = 0x10
ROUTE_DROP = 0x11


def pick(instances, alive, bucket):
    """The instance (dict) serving a bucket, or None when all are down."""
    preferred = instances[bucket % len(instances)]
    if preferred["name"] in alive:
        return preferred
    live = [i for i in instances if i["name"] in alive]
    return live[bucket % len(live)] if live else None


def forward(chain, alive, position, bucket):
    """Route id for a packet going away from the client, having crossed hops 1..position."""
    for hop in chain["hops"][position:]:
        inst = pick(hop["instances"], alive, bucket)
        if inst is not None:
            return inst["route_in"]
        if hop["on_failure"] == "block":
            return ROUTE_DROP
    return chain["exit_route"]


def reverse(chain, alive, position, bucket):
    """Route id for a reply arriving from hop ``position``'s in side (len(hops) + 1: from the exit)."""
    hops = chain["hops"]
    for hop in reversed(hops[:position - 1]):
        inst = pick(hop["instances"], alive, bucket)
        if inst is not None:
            # A proxy's own connections are addressed to it: the main table finds the instance.
            return ROUTE_MAIN if hop["mode"] == "proxy" else inst["route_out"]
        if hop["on_failure"] == "block":
            return ROUTE_DROP
    return ROUTE_MAIN


def map_names(chain):
    n = len(chain["hops"])
    return (["c%d_f%d" % (chain["number"], p) for p in range(n + 1)]
            + ["c%d_r%d" % (chain["number"], p) for p in range(1, n + 2)])


def maps(chains, alive):
    """{map name: [(bucket, packet mark)]} for every chain."""
    out = {}
    for c in chains:
        n = len(c["hops"])
        for p in range(n + 1):
            out["c%d_f%d" % (c["number"], p)] = [(b, forward(c, alive, p, b) << ROUTE_SHIFT) for b in range(BUCKETS)]
        for p in range(1, n + 2):
            out["c%d_r%d" % (c["number"], p)] = [(b, reverse(c, alive, p, b) << ROUTE_SHIFT) for b in range(BUCKETS)]
    return out


def map_elements(pairs):
    return ", ".join("%d : 0x%08x" % (b, mark) for b, mark in pairs)


def nft_update(table, chains, alive):
    """One nft script that rewrites every steering map (nft -f applies it as one transaction)."""
    lines = []
    for name, pairs in sorted(maps(chains, alive).items()):
        lines.append("flush map inet %s %s" % (table, name))
        lines.append("add element inet %s %s { %s }" % (table, name, map_elements(pairs)))
    return "\n".join(lines) + "\n"
