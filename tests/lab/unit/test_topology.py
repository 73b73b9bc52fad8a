"""The lab's address plan keeps the lab-safety rules by construction."""
import ipaddress

import pytest

from tests.lab.azblab import topology as t

ALLOWED = [ipaddress.ip_network(n) for n in
           ("198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


def _allowed(addr):
    ip = ipaddress.ip_address(addr)
    return any(ip in net for net in ALLOWED)


def all_appliances():
    return [t.appliance(i) for i in range(1, t.MAX_APPLIANCES + 1)]


def test_every_lab_address_is_in_a_permitted_range():
    addrs = [t.MGMT_HOST_ADDR, t.INET_ROUTER_ADDR, t.INET_WEB, t.INET_DNS, *t.INET_PING_TARGETS]
    for app in all_appliances():
        addrs.append(app.mgmt_address)
        for isp in app.isps:
            addrs += [isp.wan_address, isp.gateway, isp.uplink_address]
    bad = [a for a in addrs if not _allowed(a)]
    assert not bad, f"addresses outside 198.18.0.0/15 and the documentation ranges: {bad}"


def test_no_address_is_used_twice():
    seen = [t.MGMT_HOST_ADDR, t.INET_ROUTER_ADDR, t.INET_WEB, t.INET_DNS, *t.INET_PING_TARGETS]
    for app in all_appliances():
        seen.append(app.mgmt_address)
        for isp in app.isps:
            seen += [isp.wan_address, isp.gateway, isp.uplink_address]
    dupes = {a for a in seen if seen.count(a) > 1}
    assert not dupes


def test_customer_links_do_not_overlap():
    nets = [ipaddress.ip_network(isp.network) for app in all_appliances() for isp in app.isps]
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert not a.overlaps(b), (a, b)
    for app in all_appliances():
        for isp in app.isps:
            net = ipaddress.ip_network(isp.network)
            assert ipaddress.ip_address(isp.wan_address) in net
            assert ipaddress.ip_address(isp.gateway) in net


def test_interface_names_fit_the_kernel_limit():
    names = [t.MGMT_BRIDGE, t.INET_BRIDGE]
    for app in all_appliances():
        names.append(app.mgmt_host_ifname)
        names += [isp.inet_port for isp in app.isps] + [isp.wan_ifname for isp in app.isps]
    names.append(t.client_port(24, "a-very-long-client-label"))
    assert all(len(n) <= 15 for n in names), [n for n in names if len(n) > 15]


@pytest.mark.parametrize("index", [0, t.MAX_APPLIANCES + 1])
def test_out_of_range_appliance_is_refused(index):
    with pytest.raises(ValueError):
        t.appliance(index)
