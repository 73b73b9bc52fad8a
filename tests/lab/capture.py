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


def start_on(host, captures, seconds, count, ready_within=15):
    """Bounded tcpdumps on a box (a testinfra host), one per ``(iface, pcap_filter, out_file)``, running in
    the background; returns once every one of them listens. Read a result with ``read_on(host, out_file)``."""
    cmds = ["rm -f %s %s.err; timeout %d tcpdump -l -n -i %s -c %d '%s' > %s 2> %s.err < /dev/null &"
            % (out, out, seconds, iface, count, pcap_filter, out, out) for iface, pcap_filter, out in captures]
    errs = " ".join("%s.err" % out for _i, _f, out in captures)
    wait = ("for _ in $(seq %d); do [ $(grep -l 'listening on' %s 2>/dev/null | wc -l) -eq %d ] && exit 0; "
            "sleep 0.1; done; exit 1" % (ready_within * 10, errs, len(captures)))
    res = host.run(" ".join(cmds) + " " + wait)
    if res.rc != 0:
        raise AssertionError("tcpdump did not report listening within %d s on %s: %s"
                             % (ready_within, [c[0] for c in captures], host.run("cat %s" % errs).stdout))


def read_on(host, out_file, want=1, seconds=5):
    """The packet lines a capture started by ``start_on`` wrote, once it holds ``want`` lines or after
    ``seconds`` (whichever comes first)."""
    out = host.run("for _ in $(seq %d); do [ \"$(wc -l < %s)\" -ge %d ] && break; sleep 0.1; done; cat %s"
                   % (seconds * 10, out_file, want, out_file)).stdout
    return [line for line in out.splitlines() if line.strip()]
