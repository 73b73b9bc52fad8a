"""Bounded multicast sender and receiver for the routing scenario (run inside a client namespace).

  mcast.py send GROUP PORT COUNT INTERVAL_S TTL   sends COUNT datagrams, one every INTERVAL_S
  mcast.py recv GROUP PORT SECONDS                joins GROUP (IGMP), prints how many arrived
"""
import socket
import struct
import sys
import time


def send(group, port, count, interval, ttl):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    for i in range(count):
        s.sendto(b"azb-mcast %d" % i, (group, port))
        time.sleep(interval)
    print(count)


def recv(group, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0")))
    deadline = time.time() + seconds
    got = 0
    while True:
        left = deadline - time.time()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        if data.startswith(b"azb-mcast "):
            got += 1
    print(got)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
    else:
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
