"""Cables and legacy routers: addresses in 198.19.0.0/16 only, one /30 each, names the kernel takes."""
import ipaddress

import pytest

from tests.lab.azblab import topology as t

CABLES = ipaddress.ip_network("198.19.0.0/16")


def all_links():
    n = t.MAX_APPLIANCES
    return [t.link(i, j) for i in range(1, n + 1) for j in range(i + 1, n + 1)]


def test_every_cable_and_legacy_address_is_in_198_19():
    addrs = []
    for lk in all_links():
        addrs += [lk.low_address, lk.high_address]
    for i in range(1, t.MAX_APPLIANCES + 1):
        lg = t.legacy(i)
        addrs += [lg.address, lg.appliance_address]
    bad = [a for a in addrs if ipaddress.ip_interface(a).ip not in CABLES]
    assert not bad


def test_each_cable_and_legacy_router_has_its_own_30():
    nets = [ipaddress.ip_interface(lk.low_address).network for lk in all_links()]
    nets += [ipaddress.ip_interface(t.legacy(i).address).network for i in range(1, t.MAX_APPLIANCES + 1)]
    assert len(nets) == len(set(nets))
    assert all(n.prefixlen == 30 for n in nets)


def test_both_ends_share_the_30_and_differ():
    for lk in all_links():
        a, b = ipaddress.ip_interface(lk.low_address), ipaddress.ip_interface(lk.high_address)
        assert a.network == b.network and a.ip != b.ip
        assert a.ip not in (a.network.network_address, a.network.broadcast_address)
        assert b.ip not in (b.network.network_address, b.network.broadcast_address)


def test_interface_and_namespace_names_fit_the_kernel():
    for lk in all_links():
        for name in (lk.low_ifname, lk.high_ifname, lk.low_port, lk.high_port):
            assert len(name) <= 15
        assert lk.low_ifname.startswith(t.CABLE_PREFIX) and lk.high_ifname.startswith(t.CABLE_PREFIX)
    assert len(t.LEGACY_IFNAME) <= 15 and t.LEGACY_IFNAME.startswith(t.CABLE_PREFIX)


def test_link_is_the_same_whichever_end_is_named_first():
    assert t.link(19, 17) == t.link(17, 19)
    assert t.link(17, 19).low_ifname == "lk-a19" and t.link(17, 19).high_ifname == "lk-a17"


@pytest.mark.parametrize("i,j", [(3, 3), (0, 2), (2, t.MAX_APPLIANCES + 1)])
def test_bad_cable_ends_are_refused(i, j):
    with pytest.raises(ValueError):
        t.link(i, j)


def test_links_of_finds_only_this_appliances_cables():
    names = {"azb-l17-18", "azb-l18-19", "azb-l1-17", "azb-a17", "azb-lx-1", "azb-l17"}
    found = sorted((lk.low, lk.high) for lk in t.links_of(17, names))
    assert found == [(1, 17), (17, 18)]


def test_legacy_lans_are_private_and_distinct_per_appliance():
    seen = set()
    for i in range(1, t.MAX_APPLIANCES + 1):
        for lan in t.legacy(i).lans:
            net = ipaddress.ip_interface(lan).network
            assert net.is_private and net not in seen
            seen.add(net)
