# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb-wan-health: the appliance's WAN health checks and failover (installed by the azblink.nfv wan role).

Each WAN is probed out of its own link (socket mark of the WAN, bound to its interface and address):
ICMP echo to its targets, TCP connects, HTTP GETs, DNS queries, one probe at a time in round-robin,
every ``interval_ms`` (200 ms: 5 probes/s). A probe waits for its answer as long as its own measured
round trip says (at most ``timeout_ms``). On the first unanswered one the WAN is suspect and probes go
out every ``confirm_ms`` (100 ms: 10 probes/s, the budget) to the next targets in turn; it goes down
when at least ``down`` probes in a row went unanswered *and* they were sent over ``down_window_ms``
(400 ms), so a loss burst shorter than the window never takes it down; at once when its link loses
carrier. An answer ends a run of failures while the latest result of each probe holds ``quorum``
answers (the decision is on the aggregate of the targets). A WAN comes back only after ``up``
answers in a row *and* ``hold_down_s`` seconds of uninterrupted health, so intermittent loss does
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


class Detector(object):
    """One WAN's verdict from its probe results (pure; unit-tested). ``record`` returns "down" or
    "up" on a transition, else None.

    Probes go out one at a time, round-robin over the WAN's targets and probes, every
    ``interval_ms``; after an unanswered one, every ``confirm_ms`` (``pace``) until one answers or the
    WAN is declared down. Down: at least ``down`` probes in a row unanswered *and* sent over at least
    ``down_window_ms`` (from the first unanswered send to the last), so a loss burst shorter than the
    window never takes a WAN down, however many probes it eats; carrier loss: at once. An answer ends
    a run of failures only while the latest result of each probe holds at least ``quorum`` answers
    (the decision is on the aggregate: one dead target of three does not count, two of three with
    quorum 2 do). Back up after ``up`` answers *and* ``hold_down_s`` of uninterrupted health; health
    is interrupted by two unanswered probes in a row (a loss burst: the confirm pace makes sure it is
    seen twice) or by the aggregate falling below the quorum, not by one target's lone miss.
    Results may arrive out of send order (pipelined probes): a failure of a probe sent before the
    newest answered one is stale and ignored. While every other WAN is failing too, the window is
    three times as long (``record``): failing over to a WAN that is failing as well gains nothing,
    and on a loaded box a stall of a few hundred milliseconds makes every WAN miss at once.
    """

    def __init__(self, health, nprobes, up=True, now=0.0):
        self.h = health
        self.up = up
        self.changed_at = now
        self.last = [up] * nprobes  # the latest result of each probe
        self.quorum = min(health.get("quorum", 1), nprobes)
        self.run_first = None       # send time of the first unanswered probe of the current run
        self.run_last = None
        self.fails = 0              # unanswered probes in the current run
        self.last_ok_sent = None
        self.oks = 0                # answers since the last interruption (while down)
        self.ok_since = None
        self.verdict = None         # (failures, first, last unanswered send) of the last down

    def quorate(self):
        return sum(self.last) >= self.quorum

    def suspect(self):
        return self.run_first is not None

    def pace(self):
        """Seconds to the next probe: faster while a run of failures is open (confirm burst)."""
        return (self.h["confirm_ms"] if self.suspect() else self.h["interval_ms"]) / 1000.0

    def next_send(self, last_sent):
        """When the next probe goes out, given when the last one did (never closer than the confirm
        pace: at most 10 probes in any second with the defaults)."""
        return last_sent + self.pace()

    def _down(self, now):
        # the evidence, for the transition record: failures, first and last unanswered send
        self.verdict = (self.fails, self.run_first if self.run_first is not None else now,
                        self.run_last if self.run_last is not None else now)
        self.up, self.changed_at = False, now
        self.run_first = self.run_last = None
        self.fails, self.oks, self.ok_since = 0, 0, None
        return "down"

    def link_down(self, now):
        self.last = [False] * len(self.last)
        self.oks, self.ok_since = 0, None
        self.run_first = self.run_last = None  # carrier loss is its own evidence, at once
        self.fails = 0
        return self._down(now) if self.up else None

    def record(self, idx, sent, ok, now, others_failing=False):
        """``others_failing``: every other WAN is failing too (suspect or down). Then there is
        nowhere better to send new connections and the likelier cause is this box (a stall) or the
        shared upstream: the window is three times as long before this WAN is declared down."""
        if ok:
            self.last[idx] = True
            if self.last_ok_sent is None or sent > self.last_ok_sent:
                self.last_ok_sent = sent
            if not self.quorate():
                return None
            if self.run_first is None or sent >= self.run_first:
                self.run_first = self.run_last = None
                self.fails = 0
            if self.up:
                return None
            self.oks += 1
            if self.ok_since is None:
                self.ok_since = now
            if self.oks >= self.h["up"] and now - self.ok_since >= self.h["hold_down_s"]:
                self.up, self.changed_at = True, now
                self.oks, self.ok_since = 0, None
                return "up"
            return None
        self.last[idx] = False
        if self.last_ok_sent is not None and sent < self.last_ok_sent and self.quorate():
            return None  # a newer probe already answered
        if self.run_first is None:
            self.run_first, self.run_last, self.fails = sent, sent, 1
        else:
            self.fails += 1
            self.run_last = max(self.run_last, sent)
        if not self.up:
            if self.fails >= 2 or not self.quorate():
                self.oks, self.ok_since = 0, None
            return None
        window = self.h["down_window_ms"] / 1000.0 * (3 if others_failing else 1)
        if self.fails >= self.h["down"] and self.run_last - self.run_first >= window - 1e-6:
            return self._down(now)
        return None


class RttEstimate(object):
    """How long a probe waits for its answer: its own smoothed round trip (RFC 6298's estimator:
    srtt + 4 x rttvar) plus 20 ms, at least 100 ms, at most ``timeout_ms``; ``timeout_ms`` until the
    first answer. A lost probe is known lost in tens of milliseconds on a fast link, not after a
    fixed timeout tuned for the slowest (pure; unit-tested)."""
    FLOOR = 0.1   # a loaded 2-core box delays answers by tens of ms; a miss costs a confirm probe
    SLACK = 0.02

    def __init__(self, timeout):
        self.timeout = timeout
        self.srtt = None
        self.rttvar = None

    def sample(self, rtt):
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def wait(self):
        if self.srtt is None:
            return self.timeout
        return min(self.timeout, max(self.FLOOR, self.srtt + 4 * self.rttvar + self.SLACK))


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


class Prober(object):
    """One WAN's probes on the wire: sends the next one (round-robin) when its detector says, watches
    the outstanding ones on the shared epoll, and hands each result (answered or timed out) to the
    detector in ``results``."""

    def __init__(self, wan, detector, poller):
        self.w, self.det, self.poller = wan, detector, poller
        self.rtt = [RttEstimate(wan["health"]["timeout_ms"] / 1000.0) for _p in wan["probes"]]
        self.rr = 0
        self.next_at = 0.0
        self.last_sent = None
        self.live = {}     # fd -> (probe, index, sent, deadline)
        self.history = []  # last results: (probe target, answered, ms)

    def due(self, now):
        return now >= self.next_at

    def send(self, now):
        idx = self.rr
        self.rr = (self.rr + 1) % len(self.w["probes"])
        spec = self.w["probes"][idx]
        p = KINDS[spec["type"]](self.w, spec)
        try:
            want = p.start()
        except OSError:
            p.finish(False)
            want = None
        self.last_sent = now
        self.next_at = self.det.next_send(now)
        if p.done or not want:
            p.close()
            return [(idx, now, p.ok, now)]
        self.poller.register(p.sock.fileno(), select.EPOLLIN if want == "r" else select.EPOLLOUT)
        self.live[p.sock.fileno()] = (p, idx, now, now + self.rtt[idx].wait())
        return []

    def event(self, fd, now):
        """An outstanding probe's socket is ready: -> [(index, sent, answered, now)] when it finished."""
        p = self.live[fd][0]
        try:
            want = p.event()
        except OSError:
            p.finish(False)
            want = None
        if p.done:
            return self._finish(fd, now)
        if want in ("r", "w"):
            self.poller.modify(fd, select.EPOLLIN if want == "r" else select.EPOLLOUT)
        return []

    def expired(self, now):
        out = []
        for fd in [fd for fd, (_p, _i, _s, deadline) in self.live.items() if now >= deadline]:
            out += self._finish(fd, now)
        return out

    def _finish(self, fd, now):
        p, idx, sent, _deadline = self.live.pop(fd)
        try:
            self.poller.unregister(fd)
        except (OSError, ValueError):
            pass
        p.close()
        if p.ok:
            self.rtt[idx].sample(now - sent)
        self.history = (self.history + [(p.spec["target"], p.ok, int((now - sent) * 1000))])[-8:]
        return [(idx, sent, p.ok, now)]

    def cancel(self):
        for fd in list(self.live):
            self.live[fd][0].finish(False)
            self._finish(fd, time.monotonic())

    def wake(self):
        """The earliest moment this WAN needs the loop: its next send or an outstanding deadline."""
        return min([self.next_at] + [d for (_p, _i, _s, d) in self.live.values()])


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
    poller = select.epoll()
    probers = {}
    for w in cfg["wans"]:
        was = prev.get("wans", {}).get(w["name"], {}).get("up", True)
        probers[w["name"]] = Prober(w, Detector(w["health"], len(w["probes"]), up=was, now=now), poller)
    transitions = prev.get("transitions", [])[-200:]
    tunnel_up = dict((t["name"], None) for t in cfg["tunnels"])
    links = dict((w["name"], True) for w in cfg["wans"])

    def healthy():
        """The WANs new connections may use: the healthy ones; when none is, those whose latest
        results hold a quorum of answers (recovering in hold-down); when none does, all of them
        (nothing better to do)."""
        up_now = set(n for n, pr in probers.items() if pr.det.up)
        if up_now:
            return up_now
        answering = set(n for n, pr in probers.items() if links[n] and pr.det.quorate())
        return answering or set(probers)

    system.ensure_rules()
    system.ensure_routes()
    applied = healthy()
    active = system.switch(applied, [], [])
    threading.Thread(target=system.keeper, name="keeper", daemon=True).start()
    log("started: mode %s, WANs %s; healthy %s; new connections via %s" % (
        cfg["mode"], ", ".join(w["name"] for w in cfg["wans"]), ", ".join(sorted(healthy())) or "none",
        active["name"]))
    last_ensure = last_tunnels = last_state = 0.0
    while True:
        now = time.monotonic()
        results = []  # (prober, probe index, sent, answered, when)
        down, up = [], []
        for name, pr in probers.items():
            if not carrier(pr.w["interface"]):
                # Carrier loss: down at once, nothing is sent out of a dead link.
                pr.cancel()
                links[name] = False
                if pr.det.link_down(now):
                    down.append(pr)
                continue
            if not links[name]:
                links[name], pr.next_at = True, now
            if pr.due(now):
                results += [(pr,) + r for r in pr.send(now)]
        # Until the next send or deadline; at least every 50 ms for the carrier.
        wake = min([pr.wake() for pr in probers.values()] + [now + 0.05])
        events = poller.poll(max(0.0, wake - time.monotonic()))
        now = time.monotonic()
        if any(d <= now for pr in probers.values() for (_p, _i, _s, d) in pr.live.values()):
            # Past a deadline, one last look without waiting: answers already queued arrived in time
            # even if this process was not scheduled to read them (a loaded box must not look like a
            # dead link).
            events += poller.poll(0)
        for fd, _ev in events:
            for pr in probers.values():
                if fd in pr.live:
                    results += [(pr,) + r for r in pr.event(fd, now)]
                    break
        for pr in probers.values():
            results += [(pr,) + r for r in pr.expired(now)]
        for pr, idx, sent, ok, when in results:
            others = [o for o in probers.values() if o is not pr]
            change = pr.det.record(idx, sent, ok, when, others_failing=bool(others) and all(
                o.det.suspect() or not o.det.up for o in others))
            if pr.last_sent is not None:
                pr.next_at = pr.det.next_send(pr.last_sent)  # confirm pace after a miss, back after an answer
            if change == "down" and pr not in down:
                down.append(pr)
            elif change == "up":
                up.append(pr)
        now = time.monotonic()
        if now - last_tunnels >= 0.3:
            last_tunnels = now
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
            active = system.switch(applied, [p.w for p in down], [p.w for p in up])
            t_done = time.monotonic()
            wall = time.time()
            for pr in down:
                w = pr.w
                fails, began, last = pr.det.verdict
                reason = "link lost carrier" if not links[w["name"]] else \
                    "%d probes unanswered, sent over %.2f s" % (fails, last - began)
                rec = {"wan": w["name"], "to": "down", "at": wall, "reason": reason,
                       "detect_s": round(t_switch0 - began, 3), "switch_s": round(t_done - t_switch0, 3),
                       "active": active["name"], "last_probes": pr.history}
                transitions.append(rec)
                log("TRANSITION %s down (%s): detected in %.3f s, switched in %.3f s; new connections via %s;"
                    " last probes (target, answered, ms): %s" % (w["name"], reason, rec["detect_s"], rec["switch_s"],
                                                                 active["name"], rec["last_probes"]))
            for pr in up:
                w = pr.w
                rec = {"wan": w["name"], "to": "up", "at": wall, "reason": "healthy for %d s (hold-down)"
                       % w["health"]["hold_down_s"], "switch_s": round(t_done - t_switch0, 3),
                       "active": active["name"]}
                transitions.append(rec)
                log("TRANSITION %s up after hold-down; new connections via %s" % (w["name"], active["name"]))
        if down or up or now - last_state >= 1.0:
            last_state = now
            _write_state(cfg["state_file"], {
                "pid": os.getpid(), "updated": time.time(), "active": active["name"],
                "wans": dict((n, {"up": pr.det.up, "fails": pr.det.fails, "oks": pr.det.oks})
                             for n, pr in probers.items()),
                "transitions": transitions[-200:]})
        if now - last_ensure > 10:
            # The main table's default route (the active WAN) back if something removed it.
            system.switch_default()
            last_ensure = now


if __name__ == "__main__":
    main(sys.argv)
