"""Ask one DNS server for the A records of a name (UDP, 2 s timeout); print 'RCODE addr addr...'."""
import random
import socket
import struct
import sys


def query(server, name, timeout=2.0):
    qid = random.randint(0, 0xffff)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, (server, 53))
        data = s.recv(4096)
    except OSError:
        return "TIMEOUT", []
    finally:
        s.close()
    rid, flags, qd, an = struct.unpack("!HHHH", data[:8])
    if rid != qid:
        return "BADID", []
    rcode = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}.get(flags & 0xf, str(flags & 0xf))
    pos = 12
    for _q in range(qd):
        while data[pos]:
            pos += data[pos] + 1
        pos += 5
    addrs = []
    for _a in range(an):
        if data[pos] & 0xc0 == 0xc0:
            pos += 2
        else:
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        typ, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[pos:pos + 10])
        pos += 10
        if typ == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(data[pos:pos + 4]))
        pos += rdlen
    return rcode, addrs


if __name__ == "__main__":
    code, found = query(sys.argv[1], sys.argv[2])
    print(" ".join([code] + found))
