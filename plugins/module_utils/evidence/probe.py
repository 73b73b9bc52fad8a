# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live probes of the zone matrix (system adapter): one throwaway network namespace per zone, its
veth plugged into the zone's bridge with a probe address, a TCP listener in every destination and
concurrent bounded connection attempts from every source. Everything made is removed afterwards,
also when a probe fails.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import subprocess
import time

LISTENER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept(); c.close()
"""

CONNECTOR = """
import json, socket, sys, threading
targets, timeout, res = json.loads(sys.argv[1]), float(sys.argv[2]), {}
def one(key, addr, port):
    s = socket.socket(); s.settimeout(timeout)
    try:
        s.connect((addr, port)); res[key] = True
    except OSError:
        res[key] = False
    finally:
        s.close()
ts = [threading.Thread(target=one, args=t) for t in targets]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(res))
"""


def _run(argv, timeout=10):
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if res.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), res.stderr.strip()))
    return res.stdout


class Namespaces(object):
    """Context manager: probe namespaces on zone bridges, removed on exit."""

    def __init__(self, zones, prefix="azbev", parent=None):
        self.zones, self.prefix = zones, prefix   # [(zone name, bridge, probe ip, prefixlen, gateway)]
        self.parent = parent                      # the netns holding the bridges (None: this one)
        self.made, self.procs, self.ns = [], [], {}

    def __enter__(self):
        for i, (name, bridge, addr, plen, gw) in enumerate(self.zones):
            ns, host_if = "%s-%d" % (self.prefix, i), "%s%d" % (self.prefix, i)
            self.cleanup_one(ns, host_if)   # a leftover of an interrupted run
            _run(["ip", "netns", "add", ns])
            self.made.append((ns, host_if))
            _run(["ip", "link", "add", host_if] + (["netns", self.parent] if self.parent else [])
                 + ["type", "veth", "peer", "name", "eth0", "netns", ns])
            _run(self._ip_parent() + ["link", "set", host_if, "master", bridge, "up"])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
            _run(["ip", "-n", ns, "link", "set", "eth0", "up"])
            _run(["ip", "-n", ns, "addr", "add", "%s/%d" % (addr, plen), "dev", "eth0"])
            _run(["ip", "-n", ns, "route", "add", "default", "via", str(gw)])
            self.ns[name] = (ns, addr)
        return self

    def _ip_parent(self):
        return ["ip", "-n", self.parent] if self.parent else ["ip"]

    def cleanup_one(self, ns, host_if):
        subprocess.run(self._ip_parent() + ["link", "del", host_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.kill()
            proc.wait()
        for ns, host_if in self.made:
            self.cleanup_one(ns, host_if)
        return False

    def listen(self, zone, port, timeout=10.0):
        ns, addr = self.ns[zone]
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-u", "-c", LISTENER, str(addr), str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        deadline = time.monotonic() + timeout
        line = proc.stdout.readline()   # "ready" once bound (or EOF if it died)
        if line.strip() != "ready" or time.monotonic() > deadline:
            raise RuntimeError("probe listener in zone %s did not start: %s" % (zone, proc.stderr.read()))

    def connect_all(self, zone, targets, timeout):
        """{key: True (connected) | False (refused or no answer within timeout)} from one zone."""
        ns = self.ns[zone][0]
        out = _run(["ip", "netns", "exec", ns, "python3", "-c", CONNECTOR, json.dumps(targets), str(timeout)],
                   timeout=timeout + 20)
        return json.loads(out)


def cell_key(c):
    return "%s->%s:%s" % (c["from"], c["to"], c["port"])


def probe_matrix(zones, cells, timeout=1.5, prefix="azbev", parent=None):
    """zones: [(name, bridge, ip, prefixlen, gateway)]; cells: [{from, to, dst, port}]
    -> {"from->to:port": True (connected) | False}."""
    observed = {}
    with Namespaces(zones, prefix, parent) as nss:
        for name, port in sorted(set((c["to"], c["port"]) for c in cells)):
            nss.listen(name, port)
        # Neighbour discovery first, so a first-packet ARP delay is not read as a refusal.
        for name, (ns, _addr) in nss.ns.items():
            subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1",
                            str([z for z in zones if z[0] == name][0][4])], capture_output=True, check=False)
        for src in sorted(set(c["from"] for c in cells)):
            targets = [(cell_key(c), c["dst"], c["port"]) for c in cells if c["from"] == src]
            observed.update(nss.connect_all(src, targets, timeout))
    return observed
