"""Shared input of the wan unit tests: a good site (two WANs, a tunnel, policies, split DNS)."""
import copy

import pytest

from tests.unit import docpath

GOOD = {
    "mode": "failover",
    "zones": [
        {"name": "wan1", "role": "wan", "interfaces": ["wan1"], "address": ["192.0.2.26/29"]},
        {"name": "wan2", "role": "wan", "interfaces": ["wan2"], "address": ["198.51.100.26/29"]},
        {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.3.0.1/24"]},
        {"name": "dmz", "role": "dmz", "bridge": "br2", "address": ["10.2.0.1/24"]},
    ],
    "hosts": [{"name": "vip", "zone": "office", "address": ["10.3.0.60"]},
              {"name": "cmp", "zone": "office", "address": ["10.3.0.70"]}],
    "wans": [
        {"name": "wan1", "interface": "wan1", "address": ["192.0.2.26/29"], "gateway": "192.0.2.25",
         "dns": ["203.0.113.53"], "weight": 3,
         "health": {"targets": ["203.0.113.1", "203.0.113.2"],
                    "probes": [{"type": "http", "url": "http://203.0.113.10/"},
                               {"type": "dns", "target": "203.0.113.53", "query": "www.internet.test"},
                               {"type": "tcp", "target": "203.0.113.10", "port": 80}]}},
        {"name": "wan2", "interface": "wan2", "address": ["198.51.100.26/29"], "gateway": "198.51.100.25",
         "dns": ["203.0.113.53"], "weight": 1, "health": {"targets": ["203.0.113.1"]}},
    ],
    "tunnels": [{"name": "corpvpn", "interface": "tun-corp", "table": 150}],
    "policies": [
        {"name": "vip", "from": ["vip"], "via": "wan2"},
        {"name": "web", "from": ["office"], "to": ["203.0.113.0/24"], "proto": "tcp", "ports": ["8080", "9000-9100"],
         "via": "wan2", "on_failure": "fail_closed"},
        {"name": "compliance", "from": ["cmp"], "via": "corpvpn", "on_failure": "fail_closed"},
    ],
    "split_dns": [{"name": "corp", "from": ["office"], "domains": ["corp.test"], "servers": ["203.0.113.60"]},
                  {"name": "partner", "from": ["office"], "domains": ["partner.test"], "servers": ["203.0.113.60"],
                   "rebind_ok": False}],
}


def mutate(path, value):
    """Copy of GOOD with the value at a dotted path replaced."""
    return docpath.changed(GOOD, path, value)


@pytest.fixture
def good():
    return copy.deepcopy(GOOD)
