# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health of the service chains' VNF instances, and the steering maps that follow it.

Each instance is probed THROUGH its data path, both ways: an HTTP request from the probe namespace
(one source address per instance) to the sink namespace. The steering table sends it into that
instance by its in side (by source address) and the sink's answer back into it by its out side;
the VNF must forward both (a firewall must pass them, the IPS must verdict them, the proxy must
intercept the request and fetch it from the sink). A VNF whose process is dead or hung, or whose forwarding stopped while its
links stay up, fails the probe.

A probe starts every ``interval_ms``; ``down`` failed probes in a row, or no probe started in the
last ``down`` intervals answered within its timeout (a dead timer, as BFD), take an instance down;
``up`` good ones in a row bring it back. Every change
rewrites all steering maps in one nft transaction (steer.py computes them) and is logged with its
timing; /run/azblink/chain-state.json holds the state and the last transitions.
"""
import ctypes
import http.server
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steer  # noqa: E402  (installed next to this file)

STATE_FILE = "/run/azblink/chain-state.json"
TOKEN = b"azb-chain-sink"
CLONE_NEWNET = 0x40000000


def log(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def sh(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, **kw)


def join_netns(name):
    """Move the calling thread (network namespaces are per thread) into namespace ``name``."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open("/run/netns/%s" % name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            log("setns %s failed: errno %d" % (name, ctypes.get_errno()))
            os._exit(1)
    finally:
        os.close(fd)


def make_link(netns, host_if, peer, host_addr, addr, prefix, extra_addrs, routes_in_ns, routes_on_box):
    sh("ip", "netns", "del", netns)
    sh("ip", "link", "del", host_if)
    argvs = [["ip", "netns", "add", netns],
             ["ip", "link", "add", host_if, "type", "veth", "peer", "name", peer, "netns", netns],
             ["ip", "addr", "add", "%s/%d" % (host_addr, prefix), "dev", host_if],
             ["sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=0" % host_if],
             ["ip", "link", "set", host_if, "up"],
             ["ip", "netns", "exec", netns, "ip", "addr", "add", "%s/%d" % (addr, prefix), "dev", peer]]
    argvs += [["ip", "netns", "exec", netns, "ip", "addr", "add", "%s/32" % a, "dev", peer] for a in extra_addrs]
    argvs += [["ip", "netns", "exec", netns, "ip", "link", "set", peer, "up"],
              ["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"]]
    argvs += [["ip", "netns", "exec", netns, "ip", "route", "add", r, "via", host_addr] for r in routes_in_ns]
    argvs += [["ip", "route", "replace", r, "via", addr, "dev", host_if] for r in routes_on_box]
    for argv in argvs:
        res = sh(*argv)
        if res.returncode != 0:
            raise SystemExit("setup: %s: %s" % (" ".join(argv), res.stderr.strip()))


class Sink(object):
    """The probe namespace (one source address per instance) and the sink namespace beyond every
    VNF (an HTTP server answering TOKEN), each joined to the box by a veth."""

    def __init__(self, conf):
        self.conf = conf

    def setup(self):
        c, s = self.conf, self.conf["sink"]
        make_link(c["sink_netns"], c["sink_host_if"], "sink", s["host"], s["sink"], s["prefix"], [],
                  ["default"], [])
        make_link(c["probe_netns"], c["probe_host_if"], "probe", s["probe_host"], s["probe"], s["prefix"],
                  [i["source"] for i in c["instances"]], ["default"], [s["probe_net"]])
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        join_netns(self.conf["sink_netns"])

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(TOKEN)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(TOKEN)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True
        Server((self.conf["sink"]["sink"], 80), Handler).serve_forever()


def probe(source, sink, timeout):
    """One HTTP request from ``source`` to the sink, through the instance that source belongs to."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((sink, 80))
        s.sendall(b"GET /azb-probe HTTP/1.1\r\nHost: " + sink.encode() + b"\r\nConnection: close\r\n\r\n")
        data = b""
        deadline = time.monotonic() + timeout
        while TOKEN not in data and time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return TOKEN in data
    except OSError:
        return False


class Health(object):
    def __init__(self, conf):
        self.conf = conf
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.pending = []
        self.alive = set()
        self.state = dict((i["name"], {"up": False, "ok": 0, "bad": 0, "since": time.time()}) for i in conf["instances"])
        self.transitions = []

    def apply(self, reason, alive):
        t0 = time.monotonic()
        script = steer.nft_update(self.conf["table"], self.conf["chains"], alive)
        res = sh("nft", "-f", "-", input=script)
        ms = (time.monotonic() - t0) * 1000
        if res.returncode != 0:
            log("maps: nft failed (%s): %s" % (reason, res.stderr.strip()))
        return ms

    def write_state(self):
        os.makedirs(os.path.dirname(STATE_FILE), exist_ok=True)
        tmp = STATE_FILE + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"instances": self.state, "alive": sorted(self.alive),
                       "transitions": self.transitions[-50:]}, fh)
        os.rename(tmp, STATE_FILE)

    def _flip(self, inst, st, up, first_failed=None):
        """Under the lock: record a transition and hand the maps to the main thread."""
        st["up"] = up
        st["since"] = time.time()
        if up:
            self.alive.add(inst["name"])
        else:
            self.alive.discard(inst["name"])
        self.pending.append({"instance": inst["name"], "chain": inst["chain"], "hop": inst["hop"],
                             "to": "up" if up else "down", "at": time.time(), "first_failed_probe_at": first_failed})
        self.wake.notify()

    def outcome(self, inst, ok, started):
        """A probe finished: ``up`` good ones in a row bring an instance up, ``down`` failed ones take it down."""
        with self.lock:
            st = self.state[inst["name"]]
            if ok:
                st["ok"], st["bad"] = st["ok"] + 1, 0
                st["last_ok"] = max(st.get("last_ok", 0.0), started)
                if not st["up"] and st["ok"] >= inst["up"]:
                    self._flip(inst, st, True)
            else:
                st["bad"], st["ok"] = st["bad"] + 1, 0
                if st["up"] and st["bad"] >= inst["down"]:
                    self._flip(inst, st, False, time.time() - (time.monotonic() - st.get("last_ok", started)))

    def dead_timer(self, inst):
        """Like BFD: no probe that started in the last ``down`` intervals (plus one timeout) got through."""
        dead = (inst["down"] * inst["interval_ms"] + inst["timeout_ms"]) / 1000.0
        with self.lock:
            st = self.state[inst["name"]]
            idle = time.monotonic() - st.get("last_ok", time.monotonic())
            if st["up"] and idle > dead:
                self._flip(inst, st, False, time.time() - idle)

    def applier(self):
        """The main thread applies the maps: probe threads live in the probe namespace, nft must not."""
        while True:
            with self.lock:
                while not self.pending:
                    self.wake.wait()
                recs, self.pending = self.pending, []
                alive = set(self.alive)
            ms = self.apply(", ".join("%s %s" % (r["instance"], r["to"]) for r in recs), alive)
            with self.lock:
                for rec in recs:
                    rec["maps_ms"] = round(ms, 1)
                    rec["applied_at"] = time.time()
                    self.transitions.append(rec)
                    log("%s (chain %s, hop %s) %s; maps rewritten in %.1f ms"
                        % (rec["instance"], rec["chain"], rec["hop"], rec["to"], ms))
                self.write_state()

    def loop(self, inst):
        """Start a probe every interval (each in its own thread, so a hung VNF does not slow the
        schedule: threads inherit this thread's namespace, the probe one) and run the dead timer."""
        join_netns(self.conf["probe_netns"])
        interval, timeout = inst["interval_ms"] / 1000.0, inst["timeout_ms"] / 1000.0
        sink = self.conf["sink"]["sink"]

        def one(started):
            self.outcome(inst, probe(inst["source"], sink, timeout), started)
        while True:
            t0 = time.monotonic()
            threading.Thread(target=one, args=(t0,), daemon=True).start()
            self.dead_timer(inst)
            time.sleep(max(0.0, interval - (time.monotonic() - t0)))

    def run(self):
        # Start from "all down": until a probe proves an instance, block hops block and bypass hops
        # are bypassed (never a silent leak through a VNF that is not there).
        self.apply("start", set())
        self.write_state()
        for inst in self.conf["instances"]:
            threading.Thread(target=self.loop, args=(inst,), daemon=True).start()
        self.applier()


def main():
    with open(sys.argv[1]) as fh:
        conf = json.load(fh)
    Sink(conf).setup()
    Health(conf).run()


if __name__ == "__main__":
    main()
