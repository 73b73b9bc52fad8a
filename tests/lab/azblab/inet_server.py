"""The lab internet's web server: a banner on /, the caller's source address on /ip.

/ip is how tests see which WAN address a flow left the appliance with (egress NAT, multi-WAN).
"""
import argparse
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=80)
    args = ap.parse_args()
    ThreadingHTTPServer((args.bind, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
