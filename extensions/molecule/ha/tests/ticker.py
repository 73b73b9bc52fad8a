"""A TCP session the server drives: the server pushes a numbered tick every 50 ms to each client; the
client reads them and prints JSON (ticks, the longest gap, whether the session broke). A session
that survives a takeover keeps ticking; a lost connection state shows as a reset or a silent stop
(server pushes reach the new master first: without the synced state its firewall drops them).

    ticker.py serve BIND PORT --seconds N
    ticker.py listen HOST PORT --seconds N
"""
import argparse
import json
import socket
import threading
import time


def serve(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.bind, args.port))
    srv.listen(16)
    srv.settimeout(0.5)
    end = time.monotonic() + args.seconds

    def push(conn):
        n = 0
        try:
            while time.monotonic() < end:
                conn.sendall(b"%d\n" % n)
                n += 1
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()

    while time.monotonic() < end:
        try:
            conn, _peer = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=push, args=(conn,), daemon=True).start()


def listen(args):
    s = socket.create_connection((args.host, args.port), timeout=5)
    s.settimeout(1.0)
    end = time.monotonic() + args.seconds
    last, gap, ticks, error, buf = time.monotonic(), 0.0, 0, None, b""
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            if time.monotonic() - last > 15:
                error = "silent for 15 s"
                break
            continue
        except OSError as exc:
            error = str(exc)
            break
        if not data:
            error = "closed by the peer"
            break
        now = time.monotonic()
        gap = max(gap, now - last)
        last = now
        buf += data
        ticks += buf.count(b"\n")
        buf = buf[buf.rfind(b"\n") + 1:]
    s.close()
    print(json.dumps({"ticks": ticks, "max_gap_s": round(gap, 3), "error": error,
                      "since_last_tick_s": round(time.monotonic() - last, 3)}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("bind")
    s.add_argument("port", type=int)
    s.add_argument("--seconds", type=float, required=True)
    c = sub.add_parser("listen")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    serve(args) if args.mode == "serve" else listen(args)


if __name__ == "__main__":
    main()
