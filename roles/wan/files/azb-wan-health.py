# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb-wan-health: the appliance's WAN health checks and failover (installed by the azblink.nfv wan role).

Every ``interval_ms`` each WAN is probed out of its own link (socket mark of the WAN, bound to its
interface and address): ICMP echo to its targets, TCP connects, HTTP GETs, DNS queries. A round
succeeds when at least ``quorum`` probes answer within ``timeout_ms``. A WAN goes down after
``down`` failed rounds in a row, at once when its link loses carrier; it comes back only after
``up`` good rounds *and* ``hold_down_s`` seconds of uninterrupted health, so intermittent loss does
not make it flap.

On every transition the service rewrites the marking maps of ``table inet azblink_wan`` (``pick``:
where new connections go; ``class_route``: where each route policy goes) in one nft transaction,
replaces the main table's default route in one netlink operation, and drops the conntrack entries
pinned to the WAN that died (its flows are dead; flows on the healthy link are untouched). Each
transition is logged (journal) with the detection time and appended to the state file.

Only the Python standard library, ``nft``, ``ip`` and ``conntrack`` are used.
"""

import errno
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

SO_MARK = 36
SO_BINDTODEVICE = 25


def log(msg):
    sys.stdout.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stdout.flush()


# -- decisions (pure; unit-tested) ---------------------------------------------------------------

def best(wans):
    return sorted(wans, key=lambda w: (w["priority"], w["index"]))[0] if wans else None


def buckets(mode, wans, total=100):
    """[(lo, hi, mark)] over 0..total-1 for the healthy WANs (same rule as the module's renderer)."""
    if not wans:
        return []
    weighted = [w for w in wans if w["weight"] > 0] if mode == "balance" else []
    if not weighted:
        return [(0, total - 1, best(wans)["mark"])]
    wsum = sum(w["weight"] for w in weighted)
    shares = [(w, total * w["weight"] // wsum, (total * w["weight"]) % wsum) for w in weighted]
    left = total - sum(s for _w, s, _r in shares)
    order = sorted(range(len(shares)), key=lambda k: (-shares[k][2], k))
    counts = [s for _w, s, _r in shares]
    for k in order[:left]:
        counts[k] += 1
    out, lo = [], 0
    for (w, _s, _r), n in zip(shares, counts):
        if n:
            out.append((lo, lo + n - 1, w["mark"]))
            lo += n
    return out


def class_routes(cfg, healthy_names):
    wans = cfg["wans"]
    healthy = [w for w in wans if w["name"] in healthy_names]
    fallback = best(healthy) or best(wans)
    tunnels = dict((t["name"], t) for t in cfg["tunnels"])
    by_name = dict((w["name"], w) for w in wans)
    out = {}
    for c in cfg["classes"]:
        if c["via_kind"] == "tunnel":
            t = tunnels[c["via"]]
            out[c["mark"]] = t["closed_mark"] if c["on_failure"] == "fail_closed" else t["fallback_mark"]
        elif c["via"] in healthy_names:
            out[c["mark"]] = by_name[c["via"]]["mark"]
        else:
            out[c["mark"]] = cfg["blackhole_mark"] if c["on_failure"] == "fail_closed" else fallback["mark"]
    return out


def maps_transaction(cfg, healthy_names):
    """The nft script that points new connections at the healthy WANs, as one transaction."""
    healthy = [w for w in cfg["wans"] if w["name"] in healthy_names] or list(cfg["wans"])
    t = cfg["table"]
    lines = ["flush map inet %s pick" % t]
    lines.append("add element inet %s pick { %s }" % (t, ", ".join(
        "%d-%d : 0x%x" % (lo, hi, mk) for lo, hi, mk in buckets(cfg["mode"], healthy, cfg["buckets"]))))
    lines.append("flush map inet %s class_route" % t)
    cls = class_routes(cfg, healthy_names)
    if cls:
        lines.append("add element inet %s class_route { %s }" % (t, ", ".join(
            "0x%x : 0x%x" % (k, v) for k, v in sorted(cls.items()))))
    return "\n".join(lines) + "\n"


class WanState(object):
    """Up/down with thresholds and hold-down. ``observe`` returns the new state on a transition."""

    def __init__(self, health, up=True, now=0.0):
        self.h = health
        self.up = up
        self.fails = 0
        self.oks = 0
        self.ok_since = None
        self.changed_at = now

    def observe(self, ok, now, link_down=False):
        if self.up:
            if ok and not link_down:
                self.fails = 0
                return None
            self.fails += 1
            if link_down or self.fails >= self.h["down"]:
                self.up, self.fails, self.oks, self.ok_since, self.changed_at = False, 0, 0, None, now
                return "down"
            return None
        if not ok or link_down:
            self.oks, self.ok_since = 0, None
            return None
        self.oks += 1
        if self.ok_since is None:
            self.ok_since = now
        if self.oks >= self.h["up"] and now - self.ok_since >= self.h["hold_down_s"]:
            self.up, self.fails, self.oks, self.ok_since, self.changed_at = True, 0, 0, None, now
            return "up"
        return None


# -- probes ---------------------------------------------------------------------------------------

def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def _sock(family, kind, proto, wan):
    s = socket.socket(family, kind, proto)
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, SO_MARK, wan["mark"])
    s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, wan["interface"].encode())
    if wan.get("address"):
        s.bind((wan["address"], 0))
    return s


class Probe(object):
    done = False
    ok = False

    def __init__(self, wan, spec):
        self.wan, self.spec = wan, spec
        self.sock = None

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def finish(self, ok):
        self.done, self.ok = True, ok  # closed by run_round, after it leaves the poller


class IcmpProbe(Probe):
    seq = 0

    def start(self):
        IcmpProbe.seq = (IcmpProbe.seq + 1) & 0xffff
        self.ident = (os.getpid() + self.wan["index"] * 7919) & 0xffff
        self.seqno = IcmpProbe.seq
        self.sock = _sock(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP, self.wan)
        body = struct.pack("!d", time.time()) + b"azb-wan-health"
        hdr = struct.pack("!BBHHH", 8, 0, 0, self.ident, self.seqno)
        pkt = struct.pack("!BBHHH", 8, 0, _checksum(hdr + body), self.ident, self.seqno) + body
        self.sock.sendto(pkt, (self.spec["target"], 0))
        return "r"

    def event(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            ihl = (data[0] & 0x0f) * 4
            if len(data) < ihl + 8 or addr[0] != self.spec["target"]:
                continue
            typ, _code, _ck, ident, seqno = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and ident == self.ident and seqno == self.seqno:
                self.finish(True)
                return


class TcpProbe(Probe):
    def start(self):
        self.sock = _sock(socket.AF_INET, socket.SOCK_STREAM, 0, self.wan)
        err = self.sock.connect_ex((self.spec["target"], self.spec["port"]))
        if err not in (0, errno.EINPROGRESS):
            self.finish(err == errno.ECONNREFUSED)
            return None
        return "w"

    def event(self):
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        # A refusal (RST) came back over the link: the path works.
        self.finish(err in (0, errno.ECONNREFUSED))


class HttpProbe(TcpProbe):
    stage = "connect"
    buf = b""

    def event(self):
        if self.stage == "connect":
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.finish(False)
                return None
            req = "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: azb-wan-health\r\n\r\n" % (
                self.spec.get("url", "/"), self.spec["target"])
            try:
                self.sock.send(req.encode())
            except OSError:
                self.finish(False)
                return None
            self.stage = "read"
            return "r"
        try:
            data = self.sock.recv(256)
        except (BlockingIOError, InterruptedError):
            return "r"
        except OSError:
            self.finish(False)
            return None
        self.buf += data
        if b"\r\n" in self.buf or not data:
            line = self.buf.split(b"\r\n", 1)[0].split()
            self.finish(len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1][:1] in (b"2", b"3", b"4"))
            return None
        return "r"


class DnsProbe(Probe):
    def start(self):
        self.sock = _sock(socket.AF_INET, socket.SOCK_DGRAM, 0, self.wan)
        self.qid = random.randint(0, 0xffff)
        q = self.spec.get("query") or "."
        qname = b"".join(bytes([len(p)]) + p.encode() for p in q.strip(".").split(".") if p) + b"\0"
        msg = struct.pack("!HHHHHH", self.qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
        self.sock.sendto(msg, (self.spec["target"], self.spec.get("port", 53)))
        return "r"

    def event(self):
        try:
            data = self.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        if len(data) >= 12:
            qid, flags = struct.unpack("!HH", data[:4])
            if qid == self.qid and flags & 0x8000:
                self.finish((flags & 0xf) in (0, 3))  # NOERROR or NXDOMAIN: the resolver answered


KINDS = {"icmp": IcmpProbe, "tcp": TcpProbe, "http": HttpProbe, "dns": DnsProbe}


def carrier(ifname):
    try:
        with open("/sys/class/net/%s/carrier" % ifname) as fh:
            return fh.read().strip() == "1"
    except (OSError, IOError):
        return False


def run_round(wans, timeout):
    """Probe every WAN (whose link is up) at once; -> {name: number of probes that answered}."""
    poller = select.epoll()
    live = {}
    probes = []
    results = dict((w["name"], 0) for w in wans)
    for w in wans:
        for spec in w["probes"]:
            p = KINDS[spec["type"]](w, spec)
            try:
                want = p.start()
            except OSError:
                p.finish(False)
                want = None
            probes.append(p)
            if not p.done and want:
                poller.register(p.sock.fileno(), select.EPOLLIN if want == "r" else select.EPOLLOUT)
                live[p.sock.fileno()] = p
    deadline = time.monotonic() + timeout
    while live:
        # Past the deadline, one last look without waiting: answers already queued arrived in time
        # even if this process was not scheduled to read them (a loaded box must not look like a
        # dead link).
        left = max(0.0, deadline - time.monotonic())
        events = poller.poll(left)
        if not events and left <= 0:
            break
        for fd, _ev in events:
            p = live.get(fd)
            if p is None:
                continue
            try:
                want = p.event()
            except OSError:
                p.finish(False)
                want = None
            if p.done:
                poller.unregister(fd)
                del live[fd]
            elif want in ("r", "w"):
                poller.modify(fd, select.EPOLLIN if want == "r" else select.EPOLLOUT)
    poller.close()
    for p in probes:
        if p.ok:
            results[p.wan["name"]] += 1
        p.close()
    return results


# -- the system ---------------------------------------------------------------------------------

def sh(argv, data=None):
    res = subprocess.run(argv, input=data, capture_output=True, text=True, check=False)
    return res.returncode, res.stdout, res.stderr


def dhcp_gateway(wan):
    rc, out, _err = sh(["ip", "-j", "route", "show", "default", "dev", wan["interface"], "proto", "dhcp"])
    if rc == 0:
        for r in json.loads(out or "[]"):
            if r.get("gateway"):
                return r["gateway"]
    return None


def rule_key(r):
    """One ``ip -j rule`` entry -> the normalised text the module renders (see adapter.rule_key)."""
    parts = [str(r["priority"])]
    if "fwmark" in r:
        parts += ["fwmark", "%s/%s" % (r["fwmark"], r.get("fwmask", "0xffffffff"))]
    if r.get("action") and r["action"] != "lookup" and "table" not in r:
        parts.append(r["action"])
    else:
        parts += ["lookup", str(r.get("table"))]
    if "suppress_prefixlen" in r:
        parts += ["suppress_prefixlength", str(r["suppress_prefixlen"])]
    return " ".join(parts)


class System(object):
    def __init__(self, cfg):
        self.cfg = cfg
        self.active = None

    def switch_default(self):
        b = self.active
        gw = self.gateway(b) if b else None
        if gw:
            rc, _out, err = sh(["ip", "route", "replace", "default", "via", gw, "dev", b["interface"], "onlink"])
            if rc != 0:
                log("ERROR default route via %s: %s" % (b["name"], err.strip()))

    def keeper(self, period=2.0):
        """A thread that puts back our rules and table routes (they never depend on health), off the
        probe loop so a slow subprocess on a busy box never delays detection."""
        while True:
            time.sleep(period)
            try:
                self.ensure_rules()
                self.ensure_routes()
            except Exception as exc:  # pylint: disable=broad-except
                log("ERROR keeping rules and routes: %s" % exc)

    def ensure_rules(self):
        """Put back any of our rules something removed (networkd, an admin): by preference."""
        rc, out, _err = sh(["ip", "-j", "-4", "rule", "show"])
        if rc != 0:
            return
        have = set(rule_key(r) for r in json.loads(out or "[]"))
        missing = [r for r in self.cfg.get("rules", []) if r not in have]
        if missing:
            lines = []
            for r in missing:
                pref, rest = r.split(" ", 1)
                lines.append("rule del pref %s" % pref)
                lines.append("rule add pref %s %s" % (pref, rest))
            sh(["ip", "-force", "-batch", "-"], "\n".join(lines) + "\n")
            log("restored %d policy-routing rules: %s" % (len(missing), "; ".join(missing)))

    def gateway(self, wan):
        return dhcp_gateway(wan) if wan["dhcp"] else wan["gateway"]

    def ensure_routes(self):
        """Routes of the WAN tables (replace: idempotent) and of the tunnel tables (by link state)."""
        lines = []
        for w in self.cfg["wans"]:
            for r in w["routes"]:
                lines.append("route replace %s table %d" % (r, w["table"]))
            if w["dhcp"]:
                gw = self.gateway(w)
                if gw:
                    lines.append("route replace default via %s dev %s onlink table %d" % (gw, w["interface"], w["table"]))
        for t in self.cfg["tunnels"]:
            if carrier(t["interface"]) or os.path.exists("/sys/class/net/%s" % t["interface"]) and \
                    _operstate(t["interface"]) in ("up", "unknown"):
                via = " via %s" % t["gateway"] if t["gateway"] else ""
                lines.append("route replace default%s dev %s table %d" % (via, t["interface"], t["table"]))
            else:
                lines.append("route flush table %d" % t["table"])
        if lines:
            sh(["ip", "-force", "-batch", "-"], "\n".join(lines) + "\n")

    def switch(self, healthy_names, went_down, came_up):
        rc, _out, err = sh(["nft", "-f", "-"], maps_transaction(self.cfg, healthy_names))
        if rc != 0:
            log("ERROR nft transaction failed: %s" % err.strip())
        healthy = [w for w in self.cfg["wans"] if w["name"] in healthy_names]
        b = best(healthy) or best(self.cfg["wans"])
        self.active = b
        self.switch_default()
        for w in went_down:
            sh(["conntrack", "-D", "--mark", "%d/%d" % (w["mark"], self.cfg["mark_mask"])])
        if came_up:
            sh(["conntrack", "-D", "--mark", "%d/%d" % (self.cfg["blackhole_mark"], self.cfg["mark_mask"])])
        return b


def _operstate(ifname):
    try:
        with open("/sys/class/net/%s/operstate" % ifname) as fh:
            return fh.read().strip()
    except (OSError, IOError):
        return "absent"


def _write_state(path, doc):
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d, 0o755)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
    os.rename(tmp, path)


def _read_state(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, IOError, ValueError):
        return {}


def main(argv):
    with open(argv[1]) as fh:
        cfg = json.load(fh)
    system = System(cfg)
    prev = _read_state(cfg["state_file"])
    now = time.monotonic()
    states = {}
    for w in cfg["wans"]:
        was = prev.get("wans", {}).get(w["name"], {}).get("up", True)
        states[w["name"]] = WanState(w["health"], up=was, now=now)
    # All WANs share one round: the shortest interval and timeout of any of them.
    interval = min(w["health"]["interval_ms"] for w in cfg["wans"]) / 1000.0
    timeout = min(w["health"]["timeout_ms"] for w in cfg["wans"]) / 1000.0
    transitions = prev.get("transitions", [])[-200:]
    tunnel_up = dict((t["name"], None) for t in cfg["tunnels"])

    last_ok = dict((w["name"], True) for w in cfg["wans"])
    history = dict((w["name"], []) for w in cfg["wans"])  # last rounds: (answered, round seconds)

    def healthy():
        """The WANs new connections may use: the healthy ones; when none is, those whose last round
        answered (recovering in hold-down); when none does, all of them (nothing better to do)."""
        up_now = set(n for n, s in states.items() if s.up)
        if up_now:
            return up_now
        answering = set(n for n, ok in last_ok.items() if ok)
        return answering or set(states)

    system.ensure_rules()
    system.ensure_routes()
    applied = healthy()
    active = system.switch(applied, [], [])
    threading.Thread(target=system.keeper, name="keeper", daemon=True).start()
    log("started: mode %s, WANs %s; healthy %s; new connections via %s" % (
        cfg["mode"], ", ".join(w["name"] for w in cfg["wans"]), ", ".join(sorted(healthy())) or "none",
        active["name"]))
    last_failure = dict((w["name"], None) for w in cfg["wans"])
    last_ensure = time.monotonic()
    rounds = 0
    while True:
        t0 = time.monotonic()
        links = dict((w["name"], carrier(w["interface"])) for w in cfg["wans"])
        results = run_round([w for w in cfg["wans"] if links[w["name"]]], timeout)
        now = time.monotonic()
        rounds += 1
        down, up = [], []
        for w in cfg["wans"]:
            st = states[w["name"]]
            ok = links[w["name"]] and results.get(w["name"], 0) >= w["health"]["quorum"]
            if not ok and last_failure[w["name"]] is None:
                last_failure[w["name"]] = t0  # first failed round: when the trouble began (at most)
            elif ok:
                last_failure[w["name"]] = None
            last_ok[w["name"]] = ok
            history[w["name"]] = (history[w["name"]] + [(results.get(w["name"], 0), round(now - t0, 3))])[-5:]
            change = st.observe(ok, now, link_down=not links[w["name"]])
            if change == "down":
                down.append(w)
            elif change == "up":
                up.append(w)
        for t in cfg["tunnels"]:
            is_up = os.path.exists("/sys/class/net/%s" % t["interface"]) and \
                _operstate(t["interface"]) in ("up", "unknown")
            if tunnel_up[t["name"]] is not None and is_up != tunnel_up[t["name"]]:
                log("tunnel %s %s" % (t["name"], "up: its table routes into it" if is_up else
                                      "down: its table is empty (fail-closed policies blackhole)"))
                system.ensure_routes()
            tunnel_up[t["name"]] = is_up
        if not (down or up) and healthy() != applied:
            # Every WAN is down: follow the ones that answer right now.
            applied = healthy()
            active = system.switch(applied, [], [])
            log("no WAN is healthy: new connections via %s (answering: %s)" % (
                active["name"], ", ".join(sorted(applied))))
        if down or up:
            t_switch0 = time.monotonic()
            if up:
                system.ensure_routes()
            applied = healthy()
            active = system.switch(applied, down, up)
            t_done = time.monotonic()
            wall = time.time()
            for w in down:
                began = last_failure[w["name"]] or t0
                reason = "link lost carrier" if not links[w["name"]] else "%d probe rounds failed" % w["health"]["down"]
                rec = {"wan": w["name"], "to": "down", "at": wall, "reason": reason,
                       "detect_s": round(t_switch0 - began, 3), "switch_s": round(t_done - t_switch0, 3),
                       "active": active["name"], "last_rounds": history[w["name"]]}
                transitions.append(rec)
                log("TRANSITION %s down (%s): detected in %.3f s, switched in %.3f s; new connections via %s;"
                    " last rounds (answered, s): %s" % (w["name"], reason, rec["detect_s"], rec["switch_s"],
                                                        active["name"], rec["last_rounds"]))
            for w in up:
                rec = {"wan": w["name"], "to": "up", "at": wall, "reason": "healthy for %d s (hold-down)"
                       % w["health"]["hold_down_s"], "switch_s": round(t_done - t_switch0, 3),
                       "active": active["name"]}
                transitions.append(rec)
                log("TRANSITION %s up after hold-down; new connections via %s" % (w["name"], active["name"]))
        if down or up or rounds % 10 == 1:
            _write_state(cfg["state_file"], {
                "pid": os.getpid(), "updated": time.time(), "active": active["name"],
                "wans": dict((n, {"up": s.up, "fails": s.fails, "oks": s.oks}) for n, s in states.items()),
                "transitions": transitions[-200:]})
        if time.monotonic() - last_ensure > 10:
            # The main table's default route (the active WAN) back if something removed it.
            system.switch_default()
            last_ensure = time.monotonic()
        sleep = interval - (time.monotonic() - t0)
        if sleep > 0:
            time.sleep(sleep)


if __name__ == "__main__":
    main(sys.argv)
