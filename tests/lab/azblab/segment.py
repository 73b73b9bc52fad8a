"""Segments shared by several appliances: a bridge namespace, one cable per member, clients, and
for a WAN segment a router with an uplink into the lab internet. State in segments.json, so the
lab removes a segment with its appliances."""
from __future__ import annotations

import ipaddress
import json
import os

from . import system
from .topology import (INET_BRIDGE, INET_NS, INET_PREFIX, INET_ROUTER_ADDR, SEGMENT_BRIDGE, Appliance,
                       segment_client_netns, segment_member_port, segment_netns, segment_port,
                       segment_uplink_port)

SEGMENTS_FILE = os.path.join(system.STATE_DIR, "segments.json")


def load() -> list:
    if not os.path.exists(SEGMENTS_FILE):
        return []
    with open(SEGMENTS_FILE) as fh:
        return json.load(fh)


def save(segments: list) -> None:
    os.makedirs(os.path.dirname(SEGMENTS_FILE), exist_ok=True)
    with open(SEGMENTS_FILE, "w") as fh:
        json.dump(segments, fh, indent=1)


def _addr(netns, dev, cidr) -> None:
    if cidr not in system.ip(netns, "-br", "addr", "show", "dev", dev).stdout:
        system.ip(netns, "addr", "add", cidr, "dev", dev)


def add(name: str, members: list, router: str | None, uplink: str | None) -> dict:
    """Build (idempotently) segment ``name`` with a cable to each member appliance."""
    ns = segment_netns(name)
    system.ensure_netns(ns, forward=bool(router))
    system.add_bridge(ns, SEGMENT_BRIDGE)
    system.ip(ns, "link", "set", SEGMENT_BRIDGE, "up")
    for app in members:
        port, member = segment_port(name), segment_member_port(app.index)
        if not system.link_exists(member, ns):
            system.ip(app.netns, "link", "add", port, "type", "veth", "peer", "name", member, "netns", ns)
        system.ip(ns, "link", "set", member, "master", SEGMENT_BRIDGE, "up")
        system.ip(app.netns, "link", "set", port, "up")
    record = {"name": name, "members": [a.index for a in members], "router": router, "uplink": uplink,
              "clients": []}
    if router:
        _addr(ns, SEGMENT_BRIDGE, router)
        up = segment_uplink_port(name)
        if not system.link_exists("up0", ns):
            system.ip(ns, "link", "add", "up0", "type", "veth", "peer", "name", up, "netns", INET_NS)
            system.ip(INET_NS, "link", "set", up, "master", INET_BRIDGE, "up")
        _addr(ns, "up0", f"{uplink}/{INET_PREFIX}")
        system.ip(ns, "link", "set", "up0", "up")
        system.ip(ns, "route", "replace", "default", "via", INET_ROUTER_ADDR)
        network = str(ipaddress.ip_interface(router).network)
        system.ip(INET_NS, "route", "replace", network, "via", uplink)
    return record


def add_client(name: str, label: str, cidr: str | None, gateway: str | None) -> str:
    ns, seg = segment_client_netns(name, label), segment_netns(name)
    system.ensure_netns(ns, forward=False)
    port = f"c-{label}"[:15]
    if not system.link_exists("eth0", ns):
        system.ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", seg)
    system.ip(seg, "link", "set", port, "master", SEGMENT_BRIDGE, "up")
    system.ip(ns, "link", "set", "eth0", "up")
    system.ip(ns, "link", "set", "lo", "up")
    if cidr:
        _addr(ns, "eth0", cidr)
    if gateway:
        system.ip(ns, "route", "replace", "default", "via", gateway)
    return ns


def delete(record: dict) -> None:
    """Everything of a segment: clients, the internet route and uplink, the namespace (the members'
    cable ends go with it)."""
    name = record["name"]
    for label in record.get("clients", []):
        system.delete_netns(segment_client_netns(name, label))
    if record.get("router"):
        network = str(ipaddress.ip_interface(record["router"]).network)
        system.ip(INET_NS, "route", "del", network, check=False)
        system.ip(INET_NS, "link", "del", segment_uplink_port(name), check=False)
    system.delete_netns(segment_netns(name))


def members_of(record: dict, by_index) -> list[Appliance]:
    return [by_index(i) for i in record["members"]]
