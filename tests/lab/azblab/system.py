"""Thin wrappers around the commands the lab runs on the host."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

STATE_DIR = os.environ.get("AZB_LAB_STATE", "/var/lib/azblink-lab")
RUN_DIR = os.environ.get("AZB_LAB_RUN", "/run/azblink-lab")
CACHE_DIR = os.environ.get("AZB_LAB_CACHE", "/var/cache/azblink-lab")

VERBOSE = bool(os.environ.get("AZB_LAB_VERBOSE"))


def log(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


def run(cmd, check=True, capture=False, input=None, env=None, timeout=None):
    if VERBOSE:
        log("$ " + (cmd if isinstance(cmd, str) else " ".join(cmd)))
    res = subprocess.run(cmd, shell=isinstance(cmd, str), check=False, text=True, input=input,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None, env=env, timeout=timeout)
    if check and res.returncode != 0:
        err = (res.stderr or "").strip() if capture else ""
        raise RuntimeError(f"command failed ({res.returncode}): {cmd} {err}")
    return res


def out(cmd, check=True) -> str:
    return run(cmd, check=check, capture=True).stdout


def ok(cmd) -> bool:
    return run(cmd, check=False, capture=True).returncode == 0


def netns_list() -> set:
    return {line.split()[0] for line in out(["ip", "netns", "list"]).splitlines() if line.strip()}


def ensure_netns(name: str, forward: bool | None = None) -> None:
    if name not in netns_list():
        run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])
    if forward is not None:
        # Forwarding is per namespace: this never touches the host's own setting.
        run(["ip", "netns", "exec", name, "sysctl", "-qw", f"net.ipv4.ip_forward={int(forward)}"])


def delete_netns(name: str) -> None:
    if name in netns_list():
        run(["ip", "netns", "delete", name], check=False)


def link_exists(name: str, netns: str | None = None) -> bool:
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", "dev", name]
    return ok(cmd)


def ip(netns: str | None, *args: str, check=True):
    return run(["ip"] + (["-n", netns] if netns else []) + list(args), check=check, capture=True)


def add_bridge(netns: str | None, name: str) -> None:
    """A lab bridge with a MAC address of its own (fixed, from its name). A bridge left to choose takes
    the lowest MAC of its ports and changes it whenever a port comes or goes (an appliance created,
    a client plugged in): every neighbour that cached the old one then sends into the void until its
    entry is probed again, many seconds. Set by hand, the kernel keeps it."""
    if not link_exists(name, netns):
        ip(netns, "link", "add", name, "type", "bridge")
    digest = hashlib.sha256(f"{netns or 'host'}/{name}".encode()).digest()
    mac = "02:" + ":".join("%02x" % b for b in digest[:5])
    ip(netns, "link", "set", name, "address", mac)


def pidfile(name: str) -> str:
    return os.path.join(RUN_DIR, f"{name}.pid")


def read_pid(name: str) -> int | None:
    """The PID recorded for `name` while that very process lives. The file holds the PID and the
    process's start time: PIDs wrap (pid_max is 32768 here, a make test forks tens of thousands), and a
    PID alone, once its process is gone, may name anybody's process, which `stop_daemon` would kill."""
    try:
        with open(pidfile(name)) as fh:
            fields = fh.read().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if same_process(pid, fields[1] if len(fields) > 1 else None) else None


def same_process(pid: int, started: str | None) -> bool:
    """Whether `pid` still lives and is the process that started at `started` (pid_start's value;
    None: a record written before start times were, taken on the PID alone)."""
    return pid_alive(pid) and (started is None or started == pid_start(pid))


def pid_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot, /proc/PID/stat's 22nd field): with the PID,
    it names one process for the machine's uptime."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            # The fields after the command's name, which may hold spaces and parentheses.
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def record_pid(path: str, pid: int) -> None:
    """Write `pid` and its start time to `path` (read back by read_pid and lease.holder)."""
    with open(path, "w") as fh:
        fh.write(f"{pid} {pid_start(pid) or ''}".strip())


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def start_daemon(name: str, argv: list, netns: str | None = None, logfile: str | None = None) -> int:
    """Start a background process we own, recorded by PID so only it is ever stopped."""
    os.makedirs(RUN_DIR, exist_ok=True)
    pid = read_pid(name)
    if pid:
        return pid
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    logfile = logfile or os.path.join(RUN_DIR, f"{name}.log")
    with open(logfile, "ab") as lf, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(argv, stdin=devnull, stdout=lf, stderr=subprocess.STDOUT,
                                start_new_session=True)
    record_pid(pidfile(name), proc.pid)
    return proc.pid


def stop_daemon(name: str, sig=signal.SIGTERM, grace: float = 10.0) -> None:
    pid = read_pid(name)
    if pid:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.time() + grace
        while time.time() < deadline and pid_alive(pid):
            _reap(pid)
            time.sleep(0.2)
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        os.unlink(pidfile(name))
    except FileNotFoundError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def die(msg: str) -> None:
    print(f"[lab] error: {msg}", file=sys.stderr)
    sys.exit(1)
