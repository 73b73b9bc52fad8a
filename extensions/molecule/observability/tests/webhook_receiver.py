"""A webhook receiver for the tests: appends each POSTed JSON body as one line to a file.

Usage: webhook_receiver.py ADDRESS PORT FILE. Answers 400 to a body that is not JSON (so a broken
sender shows up as retries and a missing event, never as a silently stored bad line).
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = json.loads(body)
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        with open(self.server.out_file, "a") as fh:
            fh.write(json.dumps(event, sort_keys=True) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Hook)
    server.out_file = sys.argv[3]
    server.serve_forever()


if __name__ == "__main__":
    main()
