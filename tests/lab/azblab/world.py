"""The world around the appliances: management bridge, package cache, internet, ISPs, clients, faults."""
from __future__ import annotations

import hashlib
import os
import shutil
import sys

from . import system
from .topology import (APT_CACHE_PORT, INET_BRIDGE, INET_DNS, INET_DOMAIN, INET_NS, INET_PING_TARGETS,
                       INET_PREFIX, INET_ROUTER_ADDR, INET_WEB, MGMT_BRIDGE, MGMT_HOST_ADDR, MGMT_PREFIX,
                       Appliance, client_netns, client_port)

HERE = os.path.dirname(os.path.abspath(__file__))


# -- management link and package cache (root namespace: the controller's side) --------------------

def ensure_mgmt_bridge() -> None:
    system.add_bridge(None, MGMT_BRIDGE)
    addrs = system.ip(None, "-br", "addr", "show", "dev", MGMT_BRIDGE).stdout
    if f"{MGMT_HOST_ADDR}/{MGMT_PREFIX}" not in addrs:
        system.ip(None, "addr", "add", f"{MGMT_HOST_ADDR}/{MGMT_PREFIX}", "dev", MGMT_BRIDGE)
    system.ip(None, "link", "set", MGMT_BRIDGE, "up")


def ensure_apt_cache() -> str:
    """apt-cacher-ng bound to the management address only: the appliances' one way to packages."""
    cache = os.path.join(system.CACHE_DIR, "apt-cacher-ng")
    logs = os.path.join(system.STATE_DIR, "apt-cacher-ng-log")
    conf = os.path.join(system.STATE_DIR, "apt-cacher-ng-conf")
    for d in (cache, logs, conf):
        os.makedirs(d, exist_ok=True)
    # Our own config, not the host's: no mirror remapping (requests go to the host they name) and
    # never a listener beyond the management address.
    with open(os.path.join(conf, "acng.conf"), "w") as fh:
        fh.write(f"Port: {APT_CACHE_PORT}\nExThreshold: 14\n")
    system.start_daemon("apt-cacher-ng", [
        "/usr/sbin/apt-cacher-ng", "-c", conf, "ForeGround=1",
        f"BindAddress={MGMT_HOST_ADDR}", f"Port={APT_CACHE_PORT}", f"CacheDir={cache}",
        f"LogDir={logs}", f"SocketPath={os.path.join(system.RUN_DIR, 'acng.socket')}",
        f"PidFile={os.path.join(system.RUN_DIR, 'acng.daemon.pid')}",
    ])
    _wait_tcp(None, MGMT_HOST_ADDR, APT_CACHE_PORT, 15)
    return f"http://{MGMT_HOST_ADDR}:{APT_CACHE_PORT}"


def _wait_tcp(netns, host, port, seconds) -> None:
    import time
    deadline = time.time() + seconds
    probe = ["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"]
    if netns:
        probe = ["ip", "netns", "exec", netns] + probe
    while time.time() < deadline:
        if system.ok(probe):
            return
        time.sleep(0.3)
    raise RuntimeError(f"{host}:{port} did not open within {seconds}s")


# -- the internet namespace --------------------------------------------------------------------

def _restart_if_changed(name: str, script: str) -> None:
    """The web server outlives the tree that started it: a newer server from this tree replaces it."""
    with open(script, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    mark = os.path.join(system.RUN_DIR, f"{name}.sha256")
    try:
        with open(mark) as fh:
            running = fh.read().strip()
    except OSError:
        running = ""
    if running != digest:
        system.stop_daemon(name)
        os.makedirs(system.RUN_DIR, exist_ok=True)
        with open(mark, "w") as fh:
            fh.write(digest)


def ensure_internet() -> None:
    system.ensure_netns(INET_NS, forward=True)
    system.add_bridge(INET_NS, INET_BRIDGE)
    have = system.ip(INET_NS, "-br", "addr", "show", "dev", INET_BRIDGE).stdout
    for addr in (INET_ROUTER_ADDR, INET_WEB, INET_DNS) + INET_PING_TARGETS:
        if f"{addr}/" not in have:
            system.ip(INET_NS, "addr", "add", f"{addr}/{INET_PREFIX}", "dev", INET_BRIDGE)
    system.ip(INET_NS, "link", "set", INET_BRIDGE, "up")
    _restart_if_changed("inet-web", os.path.join(HERE, "inet_server.py"))
    system.start_daemon("inet-web", [sys.executable, os.path.join(HERE, "inet_server.py"),
                                     "--bind", INET_WEB], netns=INET_NS)
    system.start_daemon("inet-dns", [
        "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
        f"--listen-address={INET_DNS}", "--except-interface=lo", "--log-queries",
        f"--pid-file={os.path.join(system.RUN_DIR, 'inet-dns.daemon.pid')}",
        f"--address=/www.{INET_DOMAIN}/{INET_WEB}", f"--address=/{INET_DOMAIN}/{INET_WEB}",
        f"--host-record=dns.{INET_DOMAIN},{INET_DNS}",
    ], netns=INET_NS)
    _wait_tcp(INET_NS, INET_WEB, 80, 10)


def ensure_isp(isp, app: Appliance) -> None:
    """An ISP namespace: a customer link to the appliance's wanN, an uplink into the internet."""
    system.ensure_netns(isp.netns, forward=True)
    if not system.link_exists("cust0", isp.netns):
        system.ip(app.netns, "link", "add", isp.wan_ifname, "type", "veth", "peer", "name", "cust0",
                  "netns", isp.netns)
    if not system.link_exists("up0", isp.netns):
        system.ip(isp.netns, "link", "add", "up0", "type", "veth", "peer", "name", isp.inet_port,
                  "netns", INET_NS)
        system.ip(INET_NS, "link", "set", isp.inet_port, "master", INET_BRIDGE, "up")
    _ensure_addr(isp.netns, "cust0", f"{isp.gateway}/{isp.prefix}")
    _ensure_addr(isp.netns, "up0", f"{isp.uplink_address}/{INET_PREFIX}")
    for dev in ("cust0", "up0"):
        system.ip(isp.netns, "link", "set", dev, "up")
    system.ip(isp.netns, "route", "replace", "default", "via", INET_ROUTER_ADDR)
    # The internet routes the customer block back to its ISP.
    system.ip(INET_NS, "route", "replace", isp.network, "via", isp.uplink_address)


def _ensure_addr(netns, dev, cidr) -> None:
    if cidr not in system.ip(netns, "-br", "addr", "show", "dev", dev).stdout:
        system.ip(netns, "addr", "add", cidr, "dev", dev)


def teardown_internet() -> None:
    for name in ("inet-web", "inet-dns"):
        system.stop_daemon(name)
    system.delete_netns(INET_NS)


# -- client hosts plugged into a zone bridge -------------------------------------------------------

def add_client(app: Appliance, label: str, bridge: str, cidr: str | None, gateway: str | None) -> str:
    ns = client_netns(app.index, label)
    port = client_port(app.index, label)
    system.ensure_netns(ns, forward=False)
    if not system.link_exists("eth0", ns):
        system.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", app.netns)
    system.ip(ns, "link", "set", "eth0", "up")
    system.ip(app.netns, "link", "set", port, "up")
    if system.link_exists(bridge, app.netns):
        system.ip(app.netns, "link", "set", port, "master", bridge)
    if cidr:
        _ensure_addr(ns, "eth0", cidr)
    if gateway:
        system.ip(ns, "route", "replace", "default", "via", gateway)
    return ns


def del_client(app: Appliance, label: str) -> None:
    system.delete_netns(client_netns(app.index, label))


# -- fault injection ---------------------------------------------------------------------------

def isp_link(isp, up: bool) -> None:
    """Link down at the ISP end: the appliance's wanN loses carrier."""
    system.ip(isp.netns, "link", "set", "cust0", "up" if up else "down")


def isp_blackhole(isp, on: bool) -> None:
    """The ISP silently drops everything its customer sends: the link stays up, nothing answers."""
    table = "azb_lab_fault"
    nft = ["ip", "netns", "exec", isp.netns, "nft"]
    system.run(nft + ["delete", "table", "inet", table], check=False, capture=True)
    if on:
        system.run(nft + ["-f", "-"], input=(
            f"table inet {table} {{\n"
            f"  chain fwd_drop {{ type filter hook forward priority -10; iifname \"cust0\" drop; "
            f"oifname \"cust0\" drop; }}\n"
            f"  chain in_drop {{ type filter hook input priority -10; iifname \"cust0\" drop; }}\n"
            f"}}\n"))


def clear_state_dirs() -> None:
    for d in ("apt-cacher-ng-log", "apt-cacher-ng-conf"):
        shutil.rmtree(os.path.join(system.STATE_DIR, d), ignore_errors=True)
