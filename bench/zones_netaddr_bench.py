"""Benchmark (no lab): the zone model's address work at 10,000 and 100,000 entries, with netaddr vs
with what the model uses (``zones/nets.py``: dotted quads parsed to integers), vs ``ipaddress``.

Issue 15 asks for netaddr where the zone model does CIDR set arithmetic unless a measurement shows
it is worse. The model's arithmetic at scale is: parse every source, and drop set elements another
element covers (source and destination inside the other's, protocol and ports inside its spans).
Each row runs the same algorithm with the library's objects; best of 3, seconds.
Usage: python -m bench.zones_netaddr_bench [10000,100000]
"""
import ipaddress
import os
import sys
import time

import netaddr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(HERE, "..", "build", "collections")))
from ansible_collections.azblink.nfv.plugins.module_utils.zones import nets  # noqa: E402
from ansible_collections.azblink.nfv.plugins.module_utils.zones import render_nft  # noqa: E402


def sources(n):
    return ["10.%d.%d.%d" % (100 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)] + ["10.100.0.0/16"]


def best(fn, reps=3):
    out = None
    for _rep in range(reps):
        t = time.perf_counter()
        fn()
        secs = time.perf_counter() - t
        out = secs if out is None else min(out, secs)
    return out


def covered_netaddr(srcs, dst):
    """The model's covered-entry drop (index by supernet at each prefix length) on netaddr objects."""
    elems = [(s, dst, (6, 6), (443, 443)) for s in srcs]
    by_src = {}
    for e in elems:
        by_src.setdefault((e[0].prefixlen, e[0].value), []).append(e)
    lengths = sorted(set(k[0] for k in by_src))
    keep = []
    for e in elems:
        s = e[0]
        covered = False
        for plen in lengths:
            if plen > s.prefixlen:
                break
            sup = netaddr.IPNetwork((s.value, plen)).cidr if plen else netaddr.IPNetwork("0.0.0.0/0")
            for o in by_src.get((plen, sup.value), ()):
                if o is not e and e[1] in o[1] and s in o[0]:
                    covered = True
                    break
            if covered:
                break
        if not covered:
            keep.append(e)
    return keep


def main(sizes):
    print("| entries | step | ipaddress s | netaddr s | model (nets, integers) s |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for n in sizes:
        texts = sources(n)
        t_ip = best(lambda: [ipaddress.ip_network(t, strict=False) for t in texts])
        t_na = best(lambda: [netaddr.IPNetwork(t) for t in texts])
        t_nets = best(lambda: [nets.network(t, "p") for t in texts])
        print("| %d | parse the sources | %.2f | %.2f | %.2f |" % (n, t_ip, t_na, t_nets))
        na = [netaddr.IPNetwork(t) for t in texts]
        na_dst = netaddr.IPNetwork("10.4.0.0/24")
        parsed = [nets.network(t, "p") for t in texts]
        ints = [(s.value, s.prefixlen, parsed[0].value & 0, 24, (6, 6), (443, 443)) for s in parsed]
        t_cov_na = best(lambda: covered_netaddr(na, na_dst))
        t_cov = best(lambda: render_nft._without_contained(ints, 32))
        t_merge = best(lambda: netaddr.cidr_merge(na))
        print("| %d | drop covered entries | - | %.2f | %.2f |" % (n, t_cov_na, t_cov))
        print("| %d | netaddr.cidr_merge of the sources (not needed: one element per source) | - | %.2f | - |"
              % (n, t_merge))


if __name__ == "__main__":
    main([int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")])
