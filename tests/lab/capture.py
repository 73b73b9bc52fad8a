"""A bounded packet capture in a lab namespace that is listening when it is handed back.

tcpdump says "listening on IFACE" on stderr once its socket is open; packets sent before that are not
seen. Waiting for that line (not a fixed sleep) keeps a capture test from missing the packet it looks
for on a loaded machine, and a leak test from passing because nothing was listening yet.
"""
import subprocess
import time


def start(netns, iface, pcap_filter, seconds, count, ready_within=15.0):
    """tcpdump -c ``count`` for at most ``seconds`` on ``iface`` in ``netns``; returns the Popen once it listens.
    Read its packets with ``packets(proc)``."""
    argv = ["ip", "netns", "exec", netns, "timeout", str(seconds), "tcpdump", "-n", "-l", "-i", iface,
            "-c", str(count)] + ([pcap_filter] if isinstance(pcap_filter, str) else list(pcap_filter))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "listening on" in line:
            return proc
        if not line and proc.poll() is not None:
            raise AssertionError("tcpdump on %s/%s ended before it listened (exit %s)" % (netns, iface, proc.returncode))
    proc.kill()
    raise AssertionError("tcpdump on %s/%s did not report listening within %.0f s" % (netns, iface, ready_within))


def packets(proc, timeout=30):
    """The packet lines a started capture printed (it ends at its count or its time bound)."""
    out, _err = proc.communicate(timeout=timeout)
    return [line for line in out.splitlines() if line.strip()]
