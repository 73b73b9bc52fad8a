"""A legacy router: a plain network namespace running FRR's zebra and ripd alone (RIPv2 only),
cabled to one appliance's lk-legacy, with two LANs behind it. Its daemons are ours, by PID."""
from __future__ import annotations

import os
import pwd
import shutil

from . import system
from .topology import LEGACY_IFNAME, Appliance, Legacy

FRR = "/usr/lib/frr"


def conf(lg: Legacy, key: str | None) -> str:
    lines = [f"hostname legacy-a{lg.appliance}", "log stdout informational", "!"]
    if key:
        lines += ["key chain lab", " key 1", f"  key-string {key}", " exit", "exit", "!"]
    lines += [f"interface {lg.ifname}"]
    if key:
        lines += [" ip rip authentication mode md5", " ip rip authentication key-chain lab"]
    lines += ["exit", "!", "router rip", " version 2", f" network {lg.ifname}", " redistribute connected",
              "exit", "!"]
    return "\n".join(lines) + "\n"


def run_dir(lg: Legacy) -> str:
    return os.path.join(system.RUN_DIR, f"legacy-a{lg.appliance}")


def daemon_name(lg: Legacy, daemon: str) -> str:
    return f"legacy-a{lg.appliance}-{daemon}"


def add(lg: Legacy, app: Appliance, key: str | None) -> None:
    if not os.path.exists(f"{FRR}/ripd"):
        raise RuntimeError("the legacy router needs FRR on this host (make deps installs it)")
    system.ensure_netns(lg.netns, forward=True)
    if not system.link_exists(lg.ifname, lg.netns):
        system.ip(lg.netns, "link", "add", lg.ifname, "type", "veth", "peer", "name", LEGACY_IFNAME,
                  "netns", app.netns)
    system.ip(app.netns, "link", "set", LEGACY_IFNAME, "up")
    _addr(lg.netns, lg.ifname, lg.address)
    system.ip(lg.netns, "link", "set", lg.ifname, "up")
    for n, lan in enumerate(lg.lans):
        dev = f"lan{n}"  # a bridge: this kernel has no dummy interfaces
        if not system.link_exists(dev, lg.netns):
            system.ip(lg.netns, "link", "add", dev, "type", "bridge")
        _addr(lg.netns, dev, lan)
        system.ip(lg.netns, "link", "set", dev, "up")
    d = run_dir(lg)
    os.makedirs(d, exist_ok=True)
    frr = pwd.getpwnam("frr")
    os.chown(d, frr.pw_uid, frr.pw_gid)
    for daemon, text in (("zebra", f"hostname legacy-a{lg.appliance}\n"), ("ripd", conf(lg, key))):
        path = os.path.join(d, f"{daemon}.conf")
        with open(path, "w") as fh:
            fh.write(text)
        os.chown(path, frr.pw_uid, frr.pw_gid)
    common = ["-N", f"legacy-a{lg.appliance}", "-z", os.path.join(d, "zserv.api"), "--vty_socket", d,
              "-A", "127.0.0.1", "-P", "0"]
    for daemon in ("zebra", "ripd"):
        system.start_daemon(daemon_name(lg, daemon), [
            f"{FRR}/{daemon}", "-f", os.path.join(d, f"{daemon}.conf"),
            "-i", os.path.join(d, f"{daemon}.pid")] + common, netns=lg.netns)
        _wait_socket(os.path.join(d, f"{daemon}.vty"))


def _wait_socket(path: str, seconds: float = 10.0) -> None:
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path} did not appear within {seconds}s")


def _addr(netns, dev, cidr) -> None:
    if cidr not in system.ip(netns, "-br", "addr", "show", "dev", dev).stdout:
        system.ip(netns, "addr", "add", cidr, "dev", dev)


def delete(lg: Legacy) -> None:
    for daemon in ("ripd", "zebra"):
        system.stop_daemon(daemon_name(lg, daemon))
    system.delete_netns(lg.netns)
    shutil.rmtree(run_dir(lg), ignore_errors=True)
