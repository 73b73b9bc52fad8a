"""Shared input of the services unit tests: good edge services and a good catalog request."""
import copy

import pytest

from tests.unit import docpath

EDGE = {
    "zones": [{"name": "office", "address": ["10.3.0.1/24"]}, {"name": "dev", "address": ["10.4.0.1/24"]}],
    "load_balancers": [
        {"name": "web", "bind": "10.3.0.1:8080",
         "health": {"path": "/health", "interval_ms": 300, "timeout_ms": 300, "fall": 2, "rise": 2},
         "servers": [{"name": "web1", "address": "10.2.0.11", "port": 8000},
                     {"name": "web2", "address": "10.2.0.12", "port": 8000}]},
        {"name": "secure", "bind": "10.3.0.1:8443", "certificate": "www",
         "servers": [{"name": "web1", "address": "10.2.0.11", "port": 8000}]},
        {"name": "echo", "mode": "tcp", "bind": "9000", "client_source": "proxy",
         "servers": [{"name": "e1", "address": "10.2.0.11", "port": 9100}]},
    ],
    "forward_proxy": {"listen": ["10.3.0.1"], "allow": ["office", "10.9.0.0/24"], "deny_domains": ["blocked.test"]},
}

CATALOG = {
    "catalog": [
        {"name": "hello", "version": "1.0", "kind": "oci", "artefact": {"image": "/srv/hello-1.0.tar"},
         "config": {"greeting.txt": "hi\n"}, "health": {"type": "http", "port": 8081, "path": "/version"}},
        {"name": "hello", "version": "2.0", "kind": "oci", "artefact": {"image": "/srv/hello-2.0.tar"},
         "health": {"type": "http", "port": 8081, "path": "/version"}},
        {"name": "ntp", "version": "1.2.2", "kind": "deb", "artefact": {"package": "ntpsec", "unit": "ntpsec.service"},
         "health": {"type": "tcp", "port": 123}},
    ],
    "tenant": "acme",
    "tenants": {"acme": ["hello", "ntp"], "globex": []},
    "services": [{"name": "hello", "version": "1.0"}, {"name": "ntp", "version": "1.2.2"}],
}


def edge_with(path, value):
    return docpath.changed(EDGE, path, value)


def catalog_with(path, value):
    return docpath.changed(CATALOG, path, value)


@pytest.fixture
def edge():
    return copy.deepcopy(EDGE)


@pytest.fixture
def request_():
    return copy.deepcopy(CATALOG)
