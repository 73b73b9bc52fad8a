"""An appliance: Debian 12 booted by systemd inside systemd-nspawn, in its own network namespace.

The namespace is made by the lab before boot (so links can be wired from outside, like cables) and
outlives the container, so restarting the container is a reboot of the box, not a re-cabling.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time

from . import system
from .topology import CABLE_PREFIX, MGMT_BRIDGE, MGMT_PREFIX, SEGMENT_PORT_PREFIX, Appliance

GUEST_MOUNT = "/var/lib/azblink/lab-guest"
# What an NFV host needs from its container: network administration, taps, qemu, libvirt.
CAPABILITIES = "CAP_NET_ADMIN,CAP_NET_RAW,CAP_SYS_ADMIN,CAP_SYS_RESOURCE,CAP_IPC_LOCK,CAP_SYS_NICE," \
               "CAP_SYS_PTRACE,CAP_NET_BIND_SERVICE"


def root_dir(app: Appliance) -> str:
    return os.path.join(system.STATE_DIR, app.name)


def merged_dir(app: Appliance) -> str:
    return os.path.join(root_dir(app), "root")


def _mounted(path: str) -> bool:
    with open("/proc/self/mounts") as fh:
        return any(line.split()[1] == path for line in fh)


def _write(path: str, text: str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)


def layers_of(app: Appliance) -> list | None:
    try:
        with open(os.path.join(root_dir(app), "layers")) as fh:
            return fh.read().split()
    except OSError:
        return None


def prepare_rootfs(app: Appliance, lowers: list, pubkey: str) -> None:
    """Overlay the shared image layers with this appliance's own writable layer."""
    top = root_dir(app)
    upper, work, merged = (os.path.join(top, d) for d in ("upper", "work", "root"))
    fresh = not os.path.isdir(upper)
    for d in (upper, work, merged):
        os.makedirs(d, exist_ok=True)
    if not _mounted(merged):
        system.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={':'.join(lowers)},upperdir={upper},workdir={work}", merged])
    if fresh:
        _personalise(app, merged, pubkey)
        _write(os.path.join(top, "layers"), "\n".join(lowers) + "\n")


def _personalise(app: Appliance, root: str, pubkey: str) -> None:
    _write(os.path.join(root, "etc/hostname"), app.name + "\n")
    _write(os.path.join(root, "etc/hosts"), f"127.0.0.1 localhost\n127.0.1.1 {app.name}\n")
    _write(os.path.join(root, "etc/machine-id"), os.urandom(16).hex() + "\n", 0o444)
    _write(os.path.join(root, "root/.ssh/authorized_keys"), pubkey, 0o600)
    os.chmod(os.path.join(root, "root/.ssh"), 0o700)
    system.run(["ssh-keygen", "-q", "-A", "-f", root])
    # Factory configuration of the management port, as an installer would leave it. It carries no
    # default route: the management link never becomes a way out of the lab.
    _write(os.path.join(root, "etc/systemd/network/10-mgmt0.network"),
           f"[Match]\nName=mgmt0\n\n[Network]\nAddress={app.mgmt_address}/{MGMT_PREFIX}\n"
           "LinkLocalAddressing=no\nIPv6AcceptRA=no\n")


def wire_mgmt(app: Appliance) -> None:
    if not system.link_exists(app.mgmt_host_ifname):
        system.ip(None, "link", "add", app.mgmt_host_ifname, "type", "veth", "peer", "name", "mgmt0",
                  "netns", app.netns)
    system.ip(None, "link", "set", app.mgmt_host_ifname, "master", MGMT_BRIDGE, "up")


def start(app: Appliance, guest_dir: str | None) -> None:
    if system.read_pid(app.name):
        return
    # The box owns its network namespace, so its /proc/sys/net must be writable (sysctls of a router).
    argv = ["env", "SYSTEMD_NSPAWN_API_VFS_WRITABLE=network",
            "systemd-nspawn", "--register=no", "--keep-unit", "--quiet", "--boot",
            "-D", merged_dir(app), "-M", app.name,
            f"--network-namespace-path=/run/netns/{app.netns}",
            "--console=passive", f"--capability={CAPABILITIES}",
            "--bind=/dev/net/tun",
            "--resolv-conf=off", "--timezone=off", "--link-journal=no"]
    if guest_dir and os.path.isdir(guest_dir):
        argv.append(f"--bind-ro={guest_dir}:{GUEST_MOUNT}")
    # A reboot inside the container makes nspawn exit with 133: start it again, as hardware would.
    loop = 'while :; do "$@"; rc=$?; [ "$rc" = 133 ] || exit "$rc"; done'
    system.start_daemon(app.name, ["bash", "-c", loop, "nspawn-loop"] + argv,
                        logfile=os.path.join(root_dir(app), "console.log"))


def _nspawn_pid(app: Appliance) -> int | None:
    wrapper = system.read_pid(app.name)
    if not wrapper:
        return None
    try:
        with open(f"/proc/{wrapper}/task/{wrapper}/children") as fh:
            kids = [int(p) for p in fh.read().split()]
    except OSError:
        return None
    return kids[0] if kids else None


def kill_init(app: Appliance) -> None:
    """SIGKILL the container's init: the kernel kills every process of its PID namespace with it."""
    pid = _nspawn_pid(app)
    if not pid:
        return
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            kids = [int(p) for p in fh.read().split()]
    except OSError:
        return
    for kid in kids:
        try:
            os.kill(kid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def unplug(app: Appliance) -> None:
    """Every link of the box down at once (one netlink batch): a dead box's kernel must not go on
    answering, forwarding or resetting connections while the lab clears its namespace."""
    if app.netns not in system.netns_list():
        return
    links = json.loads(system.out(["ip", "-n", app.netns, "-j", "link", "show"]) or "[]")
    batch = "".join(f"link set {link['ifname']} down\n" for link in links if link["ifname"] != "lo")
    system.run(["ip", "-n", app.netns, "-force", "-batch", "-"], input=batch, check=False, capture=True)


def stop(app: Appliance, timeout: float = 20.0) -> None:
    """Halt the container cleanly (nspawn turns SIGTERM into a halt), then end its supervisor."""
    pid = _nspawn_pid(app)
    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + timeout
        while time.time() < deadline and system.pid_alive(pid):
            time.sleep(0.2)
        if system.pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    system.stop_daemon(app.name, grace=5)
    power_off_network(app)


# The cables of an appliance: they survive a reboot, like the NICs and what is plugged into them.
CABLED = ("lo", "mgmt0", "wan1", "wan2")
CLIENT_PORT_PREFIX = "lc-"
KEPT_PREFIXES = (CLIENT_PORT_PREFIX, SEGMENT_PORT_PREFIX, CABLE_PREFIX)  # clients, shared segments, cables
FRESH_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.rp_filter",
                 "net.ipv4.conf.default.rp_filter")


def record_fresh_sysctls(app: Appliance) -> None:
    """Remember what a fresh namespace has, so a power-off can put it back."""
    path = os.path.join(root_dir(app), "fresh-sysctls")
    if os.path.exists(path):
        return
    vals = system.out(["ip", "netns", "exec", app.netns, "sysctl"] + list(FRESH_SYSCTLS))
    _write(path, vals)


FLUSH_CONNTRACK = "from pyroute2 import NFCTSocket\nsock = NFCTSocket()\nsock.flush()\nsock.close()\n"


def power_off_network(app: Appliance) -> None:
    """What a power cycle does to a box's network: the namespace outlives the container, so the
    lab clears it by hand: ruleset, routes, addresses, every link the box made (bridges, taps,
    tunnels), forwarding settings. Only the cables stay, down and unconfigured."""
    if app.netns not in system.netns_list():
        return
    nsx = ["ip", "netns", "exec", app.netns]
    system.run(nsx + ["nft", "flush", "ruleset"], check=False, capture=True)
    # A booting box's kernel has no connections: without this, a "rebooted" HA node would come back
    # with the flows it carried before it lost power (and hand them to its conntrackd).
    system.run(nsx + [sys.executable, "-c", FLUSH_CONNTRACK], check=False, capture=True)
    links = json.loads(system.out(["ip", "-n", app.netns, "-j", "link", "show"]) or "[]")
    for link in links:
        name = link["ifname"]
        if name in CABLED or name.startswith(KEPT_PREFIXES):
            system.ip(app.netns, "link", "set", name, "nomaster", check=False)
            system.ip(app.netns, "addr", "flush", "dev", name, check=False)
            if name != "lo":
                system.ip(app.netns, "link", "set", name, "down", check=False)
        else:
            system.ip(app.netns, "link", "del", name, check=False)
    for table in ("main", "all"):
        system.ip(app.netns, "route", "flush", "table", table, check=False)
    system.ip(app.netns, "rule", "flush", check=False)
    # The kernel's own rules, marked as the kernel's: systemd-networkd removes every other rule it
    # did not configure (ManageForeignRoutingPolicyRules), and a box without "lookup main" is cut off.
    for pref, table in (("0", "local"), ("32766", "main"), ("32767", "default")):
        system.run(nsx + ["ip", "rule", "add", "pref", pref, "lookup", table, "proto", "kernel"], check=False,
                   capture=True)
    system.ip(app.netns, "addr", "add", "127.0.0.1/8", "dev", "lo", check=False)
    system.ip(app.netns, "addr", "add", "::1/128", "dev", "lo", check=False)
    system.ip(app.netns, "link", "set", "lo", "up", check=False)
    path = os.path.join(root_dir(app), "fresh-sysctls")
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                key, _sep, val = line.partition("=")
                if key.strip():
                    system.run(nsx + ["sysctl", "-qw", f"{key.strip()}={val.strip()}"], check=False,
                               capture=True)


def wait_ssh(app: Appliance, timeout: float = 240.0) -> float:
    # Generous: a boot takes seconds on a quiet machine, but minutes when scenarios run side by side
    # on two loaded cores (first boot also generates host keys). It returns as soon as ssh answers.
    t0 = time.time()
    probe = ["bash", "-c", f"exec 3<>/dev/tcp/{app.mgmt_address}/22"]
    while time.time() - t0 < timeout:
        if system.ok(probe):
            return time.time() - t0
        if not system.read_pid(app.name):
            # The appliance's directory may be gone by the time anyone looks: say what it printed.
            try:
                with open(os.path.join(root_dir(app), "console.log"), errors="replace") as fh:
                    said = "".join(fh.readlines()[-15:])
            except OSError:
                said = "(no console log)"
            raise RuntimeError(f"{app.name} exited during boot; its console's last lines:\n{said}")
        time.sleep(0.3)
    raise RuntimeError(f"{app.name}: ssh on {app.mgmt_address} not up within {timeout}s")


def destroy(app: Appliance) -> None:
    stop(app)
    merged = merged_dir(app)
    if _mounted(merged):
        system.run(["umount", merged], check=False)
        if _mounted(merged):
            system.run(["umount", "-l", merged], check=False)
    shutil.rmtree(root_dir(app), ignore_errors=True)
    if system.link_exists(app.mgmt_host_ifname):
        system.ip(None, "link", "del", app.mgmt_host_ifname, check=False)
