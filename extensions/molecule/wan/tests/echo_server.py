"""A TCP echo server for the established-flow and tunnel tests (started by corp_side.sh, stopped by PID)."""
import socket
import sys
import threading


def serve(conn, peer):
    with conn:
        conn.settimeout(120)
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                # "WHO" asks which source address the server sees (through a tunnel: its end).
                conn.sendall(("%s\n" % peer[0]).encode() if data.strip() == b"WHO" else data)
        except OSError:
            return


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[1], int(sys.argv[2])))
    srv.listen(16)
    while True:
        conn, addr = srv.accept()
        threading.Thread(target=serve, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
