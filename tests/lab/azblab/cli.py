"""azblab: build, inspect and tear down the lab of appliances on this machine.

  up N [--image base|nfv]    appliances lab-a1..lab-aN (and their world) running; inventory written
  up --names lab-a5 lab-a6   exactly these appliances, others untouched (parallel scenarios)
  down [--only NAME ...]     remove everything the lab made (or only those appliances), nothing else
  status                     what runs
  restart NAME               reboot an appliance (halt its container, boot it again)
  halt NAME                  power an appliance off (its cables stay; `restart` boots it)
  segment add|del|client ... a segment shared by appliances (HA: a zone bridge, a WAN with a router)
  client add|del ...         a client host plugged into a bridge of an appliance
  fault link|blackhole ...   ISP faults
  link add|del|cut|restore lab-aX lab-aY   a point-to-point cable between two appliances (198.19.0.0/16)
  legacy add|del lab-aX [--key K]          a RIPv2-only legacy router (FRR ripd) cabled to lab-aX
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time

from . import appliance, image, lease, legacy, links, segment, system, world
from .topology import legacy as topo_legacy
from .topology import link as topo_link
from .topology import links_of
from .topology import (INET_DNS, INET_NS, INET_PING_TARGETS, INET_WEB, MAX_APPLIANCES, MGMT_BRIDGE,
                       appliance as topo_appliance, segments_of, valid_segment_name)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLIENTS_FILE = os.path.join(system.STATE_DIR, "clients.json")


def ssh_key() -> tuple:
    keydir = os.path.join(system.STATE_DIR, "ssh")
    key = os.path.join(keydir, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(keydir, mode=0o700, exist_ok=True)
        system.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "azblink-lab", "-f", key])
    with open(key + ".pub") as fh:
        return key, fh.read()


def hypervisor_packages() -> list:
    import yaml  # from the project's virtualenv
    with open(os.path.join(REPO, "roles/hypervisor/defaults/main.yml")) as fh:
        return list(yaml.safe_load(fh)["azb_hypervisor_packages"])


def guest_dir() -> str | None:
    out = os.path.join(system.CACHE_DIR, "guest")
    build = os.path.join(REPO, "tests/lab/guest/build.sh")
    if os.path.exists(build):
        system.run(["bash", build, out])
        return out
    return None


def existing_indices() -> list:
    found = []
    for i in range(1, MAX_APPLIANCES + 1):
        app = topo_appliance(i)
        if os.path.isdir(appliance.root_dir(app)) or app.netns in system.netns_list():
            found.append(i)
    return found


# Every booted appliance (systemd, networkd, journald, ...) holds inotify instances, all counted
# against root: the default 128 stops the 20th-odd container's systemd from booting ("Failed to
# create inotify object: Too many open files"). A host tunable, not networking.
INOTIFY_INSTANCES = 1024


def ensure_inotify_instances() -> None:
    path = "/proc/sys/fs/inotify/max_user_instances"
    with open(path) as fh:
        current = int(fh.read().strip())
    if current < INOTIFY_INSTANCES:
        with open(path, "w") as fh:
            fh.write(str(INOTIFY_INSTANCES))
        system.log(f"fs.inotify.max_user_instances {current} -> {INOTIFY_INSTANCES} (many booted appliances)")


def cmd_up(args) -> None:
    t0 = time.time()
    ensure_inotify_instances()
    os.makedirs(system.STATE_DIR, exist_ok=True)
    os.makedirs(system.RUN_DIR, exist_ok=True)
    world.ensure_mgmt_bridge()
    proxy = world.ensure_apt_cache()
    lowers = [image.ensure_base(proxy)]
    if args.image == "nfv":
        lowers.insert(0, image.ensure_nfv(lowers[0], hypervisor_packages(), proxy))
    gdir = guest_dir()
    world.ensure_internet()
    key, pub = ssh_key()
    if args.names:
        # Exactly these appliances; others (another scenario's, another developer's) are left alone.
        apps = [_by_name(n) for n in args.names]
    else:
        # lab-a1..lab-aN; appliances beyond N (a scenario's, a parallel run's) are left alone.
        apps = [topo_appliance(i) for i in range(1, args.n + 1)]
    for app in apps:
        if appliance.layers_of(app) not in (None, lowers):
            system.log(f"{app.name} runs another image: recreating it")
            appliance.destroy(app)
        system.ensure_netns(app.netns)
        os.makedirs(appliance.root_dir(app), exist_ok=True)
        appliance.record_fresh_sysctls(app)
        appliance.wire_mgmt(app)
        for isp in app.isps:
            world.ensure_isp(isp, app)
        appliance.prepare_rootfs(app, lowers, pub)
        appliance.start(app, gdir)
    # The shared world is built and the boxes are booting: let other lab commands go on while they
    # boot (a boot takes minutes on a loaded host; clients and restarts of other boxes need not wait).
    fcntl.flock(args.lab_lock, fcntl.LOCK_UN)
    for app in apps:
        secs = appliance.wait_ssh(app)
        system.log(f"{app.name} up: ssh {app.mgmt_address} ({secs:.1f}s after start)")
    write_inventory(args.inventory, apps, key, args.image)
    system.log(f"{len(apps)} appliance(s) ready in {time.time() - t0:.1f}s; inventory: {args.inventory}")


def write_inventory(path: str, apps, key: str, image_name: str) -> None:
    hosts = {}
    for app in apps:
        hosts[app.name] = {
            "ansible_host": app.mgmt_address,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": key,
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
                                       " -o LogLevel=ERROR",
            "azb_lab_image": image_name,
            "azb_lab_netns": app.netns,
            "azb_lab_wans": [
                {"name": f"wan{isp.index}", "interface": isp.wan_ifname,
                 "address": f"{isp.wan_address}/{isp.prefix}", "gateway": isp.gateway,
                 "isp_netns": isp.netns} for isp in app.isps],
        }
    inv = {"all": {"children": {"azb_lab": {"hosts": hosts}},
                   "vars": {"azb_lab_internet": {
                       "netns": INET_NS, "web": INET_WEB, "dns": INET_DNS,
                       "ping_targets": list(INET_PING_TARGETS)}}}}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("# Written by `make lab-up`; describes the running lab. Do not edit.\n")
        json.dump(inv, fh, indent=2)  # JSON is YAML: no yaml dependency for the writer
        fh.write("\n")


def _delete_appliance_netns(app) -> None:
    # Its cables and legacy router go with it (a cable's wire namespace holds both ends).
    for lk in links_of(app.index, system.netns_list()):
        links.delete(lk)
    legacy.delete(topo_legacy(app.index))
    for c in _clients():
        if c["appliance"] == app.index:
            system.delete_netns(c["netns"])
    for isp in app.isps:
        system.delete_netns(isp.netns)
    system.delete_netns(app.netns)


def cmd_down(args) -> None:
    names = set(args.only or [topo_appliance(i).name for i in range(1, MAX_APPLIANCES + 1)])
    me = lease.owner_from_env()
    for name, pid in sorted(lease.busy(system.RUN_DIR, names, me).items()):
        system.log(f"{name} is leased by another run (pid {pid}): left alone")
        names.discard(name)
    if args.only and not names:
        return
    lease.release(system.RUN_DIR, names, me)
    # A shared segment goes with the first of its members that goes.
    segments = segment.load()
    doomed = segments_of(segments, names)
    for record in doomed:
        segment.delete(record)
        system.log(f"segment {record['name']} removed")
    if doomed:
        segment.save([s for s in segments if s not in doomed])
    for i in range(1, MAX_APPLIANCES + 1):
        app = topo_appliance(i)
        if app.name not in names:
            continue
        if os.path.isdir(appliance.root_dir(app)) or system.read_pid(app.name):
            appliance.destroy(app)
            system.log(f"{app.name} removed")
        _delete_appliance_netns(app)
        if system.link_exists(app.mgmt_host_ifname):
            system.ip(None, "link", "del", app.mgmt_host_ifname, check=False)
        for isp in app.isps:
            system.ip(INET_NS, "route", "del", isp.network, check=False)
    # The removed appliances' clients went with their namespaces: so do their records.
    removed = {topo_appliance(i).index for i in range(1, MAX_APPLIANCES + 1) if topo_appliance(i).name in names}
    kept = [c for c in _clients() if c["appliance"] not in removed]
    if kept != _clients():
        _save_clients(kept)
    if existing_indices():
        write_inventory(args.inventory, [], "", "none")
        system.log("other appliances still run: the lab's shared world stays up")
        return
    world.teardown_internet()
    system.stop_daemon("apt-cacher-ng")
    world.clear_state_dirs()
    if system.link_exists(MGMT_BRIDGE):
        system.ip(None, "link", "del", MGMT_BRIDGE, check=False)
    if os.path.exists(CLIENTS_FILE):
        os.unlink(CLIENTS_FILE)
    # An inventory with no hosts (not a missing file): tools linked to it see an empty lab.
    write_inventory(args.inventory, [], "", "none")
    system.log("lab down (image cache kept in %s)" % system.CACHE_DIR)


def cmd_status(args) -> None:
    for i in existing_indices():
        app = topo_appliance(i)
        state = "running" if system.read_pid(app.name) else "stopped"
        print(f"{app.name}\t{state}\tssh root@{app.mgmt_address}\tnetns {app.netns}")
    for c in _clients():
        print(f"client {c['label']} on {c['bridge']} of lab-a{c['appliance']}\tnetns {c['netns']}")


def cmd_restart(args) -> None:
    app = _by_name(args.name)
    appliance.stop(app)
    appliance.start(app, os.path.join(system.CACHE_DIR, "guest"))
    secs = appliance.wait_ssh(app)
    system.log(f"{app.name} rebooted: ssh up {secs:.1f}s after start")


def _by_name(name: str):
    for i in range(1, MAX_APPLIANCES + 1):
        app = topo_appliance(i)
        if app.name == name:
            return app
    system.die(f"no appliance named {name}")


def _clients() -> list:
    try:
        with open(CLIENTS_FILE) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return []


def _save_clients(clients) -> None:
    with open(CLIENTS_FILE, "w") as fh:
        json.dump(clients, fh)


def cmd_halt(args) -> None:
    app = _by_name(args.name)
    if args.hard:
        # Pulled power: every process dies at once (no goodbye, no last VRRP advert), then the
        # network the namespace keeps (addresses the kernel would still answer for) goes.
        appliance.kill_init(app)
        appliance.unplug(app)
        appliance.power_off_network(app)
    appliance.stop(app)
    system.log(f"{app.name} halted{' (power pulled)' if args.hard else ''}")


def cmd_segment(args) -> None:
    if not valid_segment_name(args.name):
        system.die(f"segment name {args.name!r}: 1-8 lower-case letters and digits, a letter first")
    segments = [s for s in segment.load() if s["name"] != args.name]
    old = next((s for s in segment.load() if s["name"] == args.name), None)
    if args.action == "add":
        if not args.members or len(args.members) < 2:
            system.die("a segment needs at least two --members")
        if bool(args.router) != bool(args.uplink):
            system.die("a WAN segment needs both --router (CIDR on the segment) and --uplink (internet address)")
        record = segment.add(args.name, [_by_name(n) for n in args.members], args.router, args.uplink)
        record["clients"] = old["clients"] if old else []
        segments.append(record)
        system.log(f"segment {args.name}: {' '.join(args.members)}")
    elif args.action == "client":
        if old is None:
            system.die(f"no segment {args.name}")
        print(segment.add_client(args.name, args.label, args.address, args.gateway))
        if args.label not in old["clients"]:
            old["clients"].append(args.label)
        segments.append(old)
    elif old is not None:
        segment.delete(old)
    segment.save(segments)


def cmd_client(args) -> None:
    app = _by_name(args.appliance)
    clients = [c for c in _clients() if not (c["appliance"] == app.index and c["label"] == args.label)]
    if args.action == "add":
        ns = world.add_client(app, args.label, args.bridge, args.address, args.gateway)
        clients.append({"appliance": app.index, "label": args.label, "bridge": args.bridge, "netns": ns})
        print(ns)
    else:
        world.del_client(app, args.label)
    _save_clients(clients)


def cmd_fault(args) -> None:
    app = _by_name(args.appliance)
    isp = app.isps[args.isp - 1]
    on = args.state == "on"
    if args.kind == "link":
        world.isp_link(isp, up=not on)
    else:
        world.isp_blackhole(isp, on)
    system.log(f"{args.kind} fault {'on' if on else 'off'} for {isp.netns}")


def cmd_link(args) -> None:
    a, b = _by_name(args.a), _by_name(args.b)
    lk = topo_link(a.index, b.index)
    if args.action == "add":
        low, high = (a, b) if a.index == lk.low else (b, a)
        links.add(lk, low, high)
        print(json.dumps({low.name: {"interface": lk.low_ifname, "address": lk.low_address},
                          high.name: {"interface": lk.high_ifname, "address": lk.high_address}}))
    elif args.action == "del":
        links.delete(lk)
    else:
        links.cut(lk, args.action == "cut")
        system.log(f"cable {a.name}-{b.name} {'cut' if args.action == 'cut' else 'restored'}")


def cmd_legacy(args) -> None:
    app = _by_name(args.appliance)
    lg = topo_legacy(app.index)
    if args.action == "add":
        legacy.add(lg, app, args.key)
        print(json.dumps({"netns": lg.netns, "address": lg.address, "appliance_address": lg.appliance_address,
                          "lans": list(lg.lans)}))
    else:
        legacy.delete(lg)


def _lease_or_wait(lock, names, wait_s) -> None:
    """With AZB_LAB_LEASE_PID set, take the appliances' leases, waiting (lab lock released meanwhile)
    while another live run holds one of them; bounded by `wait_s`."""
    me = lease.owner_from_env()
    if me is None:
        return
    deadline = time.time() + wait_s
    said = set()
    while True:
        busy = lease.busy(system.RUN_DIR, names, me)
        if not busy:
            lease.take(system.RUN_DIR, names, me)
            return
        for name, pid in busy.items():
            if name not in said:
                system.log(f"{name} is leased by another run (pid {pid}): waiting for it")
                said.add(name)
        if time.time() > deadline:
            system.die(f"appliances still leased by other runs after {wait_s}s: {sorted(busy)}")
        fcntl.flock(lock, fcntl.LOCK_UN)
        time.sleep(2)
        fcntl.flock(lock, fcntl.LOCK_EX)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="azblab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inventory", default=os.path.join(REPO, ".lab", "inventory.yml"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up")
    p.add_argument("n", type=int, nargs="?", default=1)
    p.add_argument("--image", choices=("base", "nfv"), default="nfv")
    p.add_argument("--names", nargs="+", metavar="NAME",
                   help="start exactly these appliances (lab-aK) and leave any others alone")
    p.add_argument("--lease-wait", type=int, default=3600, metavar="S",
                   help="with AZB_LAB_LEASE_PID: wait up to S seconds for appliances another run holds")
    p = sub.add_parser("down")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="remove only these appliances; the shared world goes with the last one")
    sub.add_parser("status")
    p = sub.add_parser("restart")
    p.add_argument("name")
    p = sub.add_parser("halt")
    p.add_argument("name")
    p.add_argument("--hard", action="store_true", help="cut its network first, as a power loss does")
    p = sub.add_parser("segment")
    p.add_argument("action", choices=("add", "del", "client"))
    p.add_argument("name")
    p.add_argument("label", nargs="?", help="client label (segment client)")
    p.add_argument("--members", nargs="+", metavar="NAME")
    p.add_argument("--router", help="WAN segment: the ISP router's address on it (CIDR)")
    p.add_argument("--uplink", help="WAN segment: the router's address on the lab internet")
    p.add_argument("--address")
    p.add_argument("--gateway")
    p = sub.add_parser("client")
    p.add_argument("action", choices=("add", "del"))
    p.add_argument("appliance")
    p.add_argument("label")
    p.add_argument("--bridge", default="br3")
    p.add_argument("--address")
    p.add_argument("--gateway")
    p = sub.add_parser("fault")
    p.add_argument("kind", choices=("link", "blackhole"))
    p.add_argument("appliance")
    p.add_argument("isp", type=int, choices=(1, 2))
    p.add_argument("state", choices=("on", "off"))
    p = sub.add_parser("link")
    p.add_argument("action", choices=("add", "del", "cut", "restore"))
    p.add_argument("a")
    p.add_argument("b")
    p = sub.add_parser("legacy")
    p.add_argument("action", choices=("add", "del"))
    p.add_argument("appliance")
    p.add_argument("--key", help="RIP MD5 key the legacy router signs and expects")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        system.die("the lab needs root (namespaces, nspawn, mounts)")
    if args.cmd == "up" and not 1 <= args.n <= MAX_APPLIANCES:
        system.die(f"APPLIANCES must be 1..{MAX_APPLIANCES}")
    os.makedirs(system.RUN_DIR, exist_ok=True)
    # One lab command at a time on this machine: parallel scenarios share the world they build.
    # Locks: the whole lab for `up` (until its boxes boot) and `down`; one appliance for `restart`;
    # the client list (read, changed and written back by parallel scenarios) for `client`.
    # Cables and legacy routers (`link add|del`, `legacy`) have a lock of their own; a cable cut or
    # restore touches only that cable's namespace: no lock, so a fault lands when asked.
    lock_name = {"up": "lab", "down": "lab", "client": "clients", "legacy": "cables",
                 "link": "cables" if getattr(args, "action", "") in ("add", "del") else None,
                 "segment": "cables", "restart": "appliance-%s" % getattr(args, "name", ""),
                 "halt": "appliance-%s" % getattr(args, "name", "")}.get(args.cmd)
    lock = open(os.path.join(system.RUN_DIR, "%s.lock" % (lock_name or "lab")), "w")  # noqa: SIM115
    args.lab_lock = lock
    if lock_name:
        fcntl.flock(lock, fcntl.LOCK_EX)
    if args.cmd == "up" and args.names:
        _lease_or_wait(lock, args.names, args.lease_wait)
    try:
        {"up": cmd_up, "down": cmd_down, "status": cmd_status, "restart": cmd_restart,
         "client": cmd_client, "fault": cmd_fault, "link": cmd_link, "legacy": cmd_legacy,
         "halt": cmd_halt, "segment": cmd_segment}[args.cmd](args)
    except (RuntimeError, subprocess.SubprocessError) as exc:
        system.die(str(exc))


if __name__ == "__main__":
    main(sys.argv[1:])
