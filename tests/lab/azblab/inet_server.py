"""The lab internet's web server: a banner on /, the caller's source address on /ip.

/ip is how tests see which WAN address a flow left the appliance with (egress NAT, multi-WAN).
"""
import argparse
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    timeout = 15  # a client that connects and never asks must not keep a thread forever

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/ip":
            body = self.client_address[0] + "\n"
        else:
            body = "azblink lab internet web\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        # With the time: a failing scenario's probes can be matched against what reached the internet.
        print("%.3f %s %s" % (time.time(), self.client_address[0], fmt % args), flush=True)


class Server(ThreadingHTTPServer):
    # Every scenario's probes share this server: with http.server's backlog of 5, a burst from
    # scenarios side by side while the process waits for a CPU fills the accept queue, and the
    # kernel then drops SYNs silently (the client retries after 1 s, 3 s, 7 s).
    request_queue_size = 512
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=80)
    args = ap.parse_args()
    Server((args.bind, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
