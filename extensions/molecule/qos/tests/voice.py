"""A voice-like UDP flow and its echo: G.711-sized packets (160 bytes of payload, 64 kbit/s) at 50
packets per second, each carrying its sequence number and send time; the sender prints loss and
round-trip percentiles as JSON. Bounded: the echo stops after --seconds, the sender after its count.

    voice.py echo BIND PORT --seconds N
    voice.py send DST PORT --count N [--pps 50] [--size 160] [--grace 1.0]
"""
import argparse
import json
import select
import socket
import struct
import time

HDR = struct.Struct("!Id")


def echo(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.bind, args.port))
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        r, _w, _x = select.select([s], [], [], 0.5)
        if r:
            try:  # a client's path that is down (ICMP errors) must not stop the echo
                data, peer = s.recvfrom(2048)
                s.sendto(data, peer)
            except OSError:
                continue


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[k]


def send(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    pad = b"\0" * max(0, args.size - HDR.size)
    period = 1.0 / args.pps
    start = time.monotonic()
    rtts = {}
    seq = 0
    end = start + args.count * period + args.grace
    while True:
        now = time.monotonic()
        if seq < args.count and now >= start + seq * period:
            try:  # a send the kernel refuses (no route yet) is a lost packet, not the end of the test
                s.sendto(HDR.pack(seq, time.monotonic()) + pad, (args.dst, args.port))
            except OSError:
                pass
            seq += 1
            continue
        if now >= end:
            break
        wait = (start + seq * period - now) if seq < args.count else (end - now)
        r, _w, _x = select.select([s], [], [], max(0.0, min(wait, 0.05)))
        if r:
            try:
                data = s.recv(2048)
            except OSError:
                continue
            n, sent_at = HDR.unpack(data[:HDR.size])
            if n not in rtts and time.monotonic() - sent_at <= args.grace:
                rtts[n] = (time.monotonic() - sent_at) * 1000.0
    values = sorted(rtts.values())
    print(json.dumps({"sent": seq, "received": len(rtts), "lost": seq - len(rtts),
                      "p50_ms": pct(values, 50), "p99_ms": pct(values, 99), "max_ms": values[-1] if values else None}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("echo")
    e.add_argument("bind")
    e.add_argument("port", type=int)
    e.add_argument("--seconds", type=float, required=True)
    c = sub.add_parser("send")
    c.add_argument("dst")
    c.add_argument("port", type=int)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--pps", type=float, default=50.0)
    c.add_argument("--size", type=int, default=160)
    c.add_argument("--grace", type=float, default=1.0)
    args = ap.parse_args()
    echo(args) if args.mode == "echo" else send(args)


if __name__ == "__main__":
    main()
