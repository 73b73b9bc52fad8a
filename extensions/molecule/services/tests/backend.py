"""A lab backend for the load balancer tests, run in a client namespace.

HTTP on 8000: /health -> 200; anything else -> "NAME xff=<X-Forwarded-For>".
TCP on 9100: expects a PROXY protocol v2 header, answers "SRC <client address>", then echoes lines.

usage: backend.py NAME
"""
import http.server
import socket
import socketserver
import struct
import sys
import threading

NAME = sys.argv[1]
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


class Web(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n" if self.path == "/health" else (
            "%s xff=%s\n" % (NAME, self.headers.get("X-Forwarded-For", "-"))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(120)
        try:
            head = recv_exact(s, 16)
            if head[:12] != SIG:
                s.sendall(b"NOPROXY\n")
                return
            length = struct.unpack("!H", head[14:16])[0]
            body = recv_exact(s, length)
            src = socket.inet_ntoa(body[0:4]) if head[13] >> 4 == 1 else "?"
            s.sendall(("SRC %s\n" % src).encode())
            while True:
                line = s.recv(4096)
                if not line:
                    return
                s.sendall(line)
        except (EOFError, OSError):
            return


class Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    web = Threaded(("0.0.0.0", 8000), Web)
    echo = Threaded(("0.0.0.0", 9100), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    web.serve_forever()
