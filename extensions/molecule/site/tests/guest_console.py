"""Run one shell command inside a lab guest VM through its serial console (on the appliance).

usage: guest_console.py VM SECONDS COMMAND

The lab guest keeps a root shell on ttyS0; libvirt exposes it as a pty. The command's output ends
with a marker the shell computes (``TAG-2-rc=N``), so the echoed command line never matches it.
Prints what the console printed and exits with the command's status (124 when SECONDS ran out).
"""
import os
import re
import select
import subprocess
import sys
import time
import tty


def main():
    vm, limit, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    pty = subprocess.check_output(["virsh", "-q", "ttyconsole", vm], text=True).strip()
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    tag = "AZB%d" % os.getpid()
    os.write(fd, ("\n%s; echo %s-$((1+1))-rc=$?\n" % (cmd, tag)).encode())
    done = re.compile(r"%s-2-rc=(\d+)" % tag)
    out, deadline = b"", time.time() + limit
    while time.time() < deadline:
        ready, _w, _x = select.select([fd], [], [], 0.2)
        if ready:
            out += os.read(fd, 4096)
            m = done.search(out.decode("utf-8", "replace"))
            if m:
                sys.stdout.write(out.decode("utf-8", "replace"))
                return int(m.group(1))
    sys.stdout.write(out.decode("utf-8", "replace"))
    os.write(fd, b"\x03\n")  # interrupt what still runs, so the next command gets the shell
    return 124


if __name__ == "__main__":
    sys.exit(main())
