"""Cables between appliances (routing tests): a wire namespace holding a bridge between two veths.

The appliance ends (lk-a<J>) carry no address: the appliance configures them, as it would a NIC.
A cut takes one port off the wire's bridge: both ends keep carrier and nothing reaches the other
side, the failure only a protocol (OSPF dead timer, BFD) can notice.
"""
from __future__ import annotations

from . import system
from .topology import Appliance, Link

WIRE = "w"


def add(lk: Link, low: Appliance, high: Appliance) -> None:
    system.ensure_netns(lk.netns, forward=False)
    if not system.link_exists(WIRE, lk.netns):
        system.ip(lk.netns, "link", "add", WIRE, "type", "bridge")
    system.ip(lk.netns, "link", "set", WIRE, "up")
    for app, ifname, port in ((low, lk.low_ifname, lk.low_port), (high, lk.high_ifname, lk.high_port)):
        if not system.link_exists(port, lk.netns):
            system.ip(lk.netns, "link", "add", port, "type", "veth", "peer", "name", ifname,
                      "netns", app.netns)
        system.ip(lk.netns, "link", "set", port, "master", WIRE, "up")
        system.ip(app.netns, "link", "set", ifname, "up")


def delete(lk: Link) -> None:
    """The wire namespace goes, and with it both veth pairs (the appliances' ends too)."""
    system.delete_netns(lk.netns)


def cut(lk: Link, on: bool) -> None:
    port = lk.low_port
    if on:
        system.ip(lk.netns, "link", "set", port, "nomaster")
    else:
        system.ip(lk.netns, "link", "set", port, "master", WIRE, "up")
