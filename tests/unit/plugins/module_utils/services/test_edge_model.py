"""azb_edge_services' model rejects bad input with the field path, before anything touches the box."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_model

from tests.unit.refusal import assert_refused
from .conftest import EDGE, edge_with

BAD = [
    # (what, path to change, new value, expected field path, words in the reason)
    ("no name", "load_balancers.0.name", None, "load_balancers[0].name", "required"),
    ("bad name", "load_balancers.0.name", "Web LB", "load_balancers[0].name", "not a valid name"),
    ("duplicate name", "load_balancers.1.name", "web", "load_balancers[1]", "duplicate name"),
    ("unknown mode", "load_balancers.0.mode", "udp", "load_balancers[0].mode", "not one of"),
    ("no bind", "load_balancers.0.bind", None, "load_balancers[0].bind", "required"),
    ("bind port out of range", "load_balancers.0.bind", "10.3.0.1:70000", "load_balancers[0].bind", "out of range"),
    ("bind address not an IP", "load_balancers.0.bind", "office:80", "load_balancers[0].bind", "not a valid IP"),
    ("two balancers on one port", "load_balancers.1.bind", "8080", "load_balancers[1].bind", "already bound"),
    ("TLS on a tcp balancer", "load_balancers.2.certificate", "www", "load_balancers[2].certificate", "needs mode http"),
    ("bad certificate name", "load_balancers.1.certificate", "../etc/key", "load_balancers[1].certificate",
     "not a valid name"),
    ("unknown balance", "load_balancers.0.balance", "random", "load_balancers[0].balance", "not one of"),
    ("X-Forwarded-For on tcp", "load_balancers.2.client_source", "forwarded", "load_balancers[2].client_source",
     "needs mode http"),
    ("unknown client source", "load_balancers.0.client_source", "transparent", "load_balancers[0].client_source",
     "not one of"),
    ("no servers", "load_balancers.0.servers", [], "load_balancers[0].servers", "at least one server"),
    ("server without address", "load_balancers.0.servers.1.address", None, "load_balancers[0].servers[1].address",
     "required"),
    ("server address not an IP", "load_balancers.0.servers.1.address", "web2", "load_balancers[0].servers[1].address",
     "not a valid IP"),
    ("server port zero", "load_balancers.0.servers.0.port", 0, "load_balancers[0].servers[0].port", "out of range"),
    ("duplicate server name", "load_balancers.0.servers.1.name", "web1", "load_balancers[0].servers[1]",
     "duplicate server name"),
    ("same server twice", "load_balancers.0.servers.1.address", "10.2.0.11", "load_balancers[0].servers[1]",
     "duplicate server address:port"),
    ("unknown check", "load_balancers.0.health.type", "icmp", "load_balancers[0].health.type", "not one of"),
    ("check path not absolute", "load_balancers.0.health.path", "health", "load_balancers[0].health.path",
     "absolute URL path"),
    ("check timeout beyond interval", "load_balancers.0.health.timeout_ms", 500,
     "load_balancers[0].health.timeout_ms", "longer than"),
    ("check interval too short", "load_balancers.0.health.interval_ms", 5, "load_balancers[0].health.interval_ms",
     "out of range"),
    ("fall zero", "load_balancers.0.health.fall", 0, "load_balancers[0].health.fall", "out of range"),
    ("balancer client from an unknown zone", "load_balancers.0.clients", ["office", "sales"],
     "load_balancers[0].clients[1]", "unknown zone"),
    ("balancer client a bad CIDR", "load_balancers.0.clients", ["10.0.0.0/99"], "load_balancers[0].clients[0]",
     "not a valid"),
    ("proxy allows nobody", "forward_proxy.allow", [], "forward_proxy.allow", "required"),
    ("proxy allows an unknown zone", "forward_proxy.allow.0", "sales", "forward_proxy.allow[0]", "unknown zone"),
    ("proxy allows a bad CIDR", "forward_proxy.allow.1", "10.9.0.0/33", "forward_proxy.allow[1]", "not a valid"),
    ("proxy denies a bad domain", "forward_proxy.deny_domains.0", "bad domain!", "forward_proxy.deny_domains[0]",
     "not a domain"),
    ("proxy denies a domain twice", "forward_proxy.deny_domains", ["a.test", ".a.test"], "forward_proxy.deny_domains[1]",
     "duplicate domain"),
    ("proxy listens on a bad address", "forward_proxy.listen.0", "10.3.0", "forward_proxy.listen[0]", "not a valid IP"),
    ("proxy port taken by a balancer", "forward_proxy.port", 9000, "forward_proxy.port", "bound by load_balancers[2]"),
    ("proxy port out of range", "forward_proxy.port", 65536, "forward_proxy.port", "out of range"),
    ("proxy resolver not an IP", "forward_proxy.dns", ["dns.test"], "forward_proxy.dns[0]", "not a valid IP"),
]


@pytest.mark.parametrize("what,path,value,field,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(what, path, value, field, words):
    assert_refused(lambda: edge_model.build(edge_with(path, value)), field, words)


def test_good_input_builds_with_mode_defaults(edge):
    e = edge_model.build(edge)
    web, secure, echo = e.balancers
    assert (web.bind_address, web.bind_port, web.client_source, web.health.kind) == ("10.3.0.1", 8080, "forwarded", "http")
    assert (echo.bind_address, echo.bind_port, echo.client_source, echo.health.kind) == (None, 9000, "proxy", "tcp")
    assert secure.certificate == "www"
    assert e.proxy.allow == ["10.3.0.0/24", "10.9.0.0/24"]
    assert e.proxy.deny_domains == [".blocked.test"]
    assert e.proxy.allow_refs == ["office", "10.9.0.0/24"]


def test_balancer_clients_keep_zone_names_and_any(edge):
    edge["load_balancers"][0]["clients"] = ["office", "any", "192.0.2.7"]
    assert edge_model.build(edge).balancers[0].clients == ["office", "any", "192.0.2.7/32"]


def test_same_port_on_different_addresses_is_fine(edge):
    edge["load_balancers"][1]["bind"] = "10.4.0.1:8080"
    assert edge_model.build(edge).balancers[1].bind_port == 8080


def test_nothing_declared_is_nothing_to_run():
    e = edge_model.build({"load_balancers": [], "forward_proxy": None})
    assert e.balancers == [] and e.proxy is None


def test_the_good_document_is_unchanged_by_the_tests():
    assert EDGE["load_balancers"][0]["name"] == "web"
