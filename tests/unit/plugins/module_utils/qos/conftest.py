"""Shared input of the qos unit tests: a good site (one WAN up and down, zones, a host, rules)."""
import copy

import pytest

from tests.unit import docpath

GOOD = {
    "links": [{"name": "wan1", "interface": "wan1", "egress": "20mbit", "ingress": "50mbit"},
              {"name": "wan2", "interface": "wan2", "egress": "10mbit"}],
    "zones": [{"name": "wan", "role": "wan", "interfaces": ["wan1"]},
              {"name": "office", "role": "trusted", "bridge": "br3"},
              {"name": "nvr", "role": "trusted", "bridge": "br5"}],
    "hosts": [{"name": "recorder", "zone": "nvr", "address": ["10.5.0.50"]}],
    "classes": [
        {"name": "realtime", "priority": 0, "rate": "10%", "ceil": "30%", "dscp": "ef"},
        {"name": "interactive", "priority": 1, "rate": "30%", "dscp": "af41"},
        {"name": "default", "priority": 2, "rate": "30%"},
        {"name": "bulk", "priority": 3, "rate": "1mbit", "dscp": "cs1"},
    ],
    "rules": [
        {"name": "voice", "class": "realtime", "from": ["office"], "proto": "udp", "ports": ["4000", "10000-20000"]},
        {"name": "marked", "class": "realtime", "dscp": ["ef", "46"]},
        {"name": "cameras", "class": "bulk", "from": ["nvr", "recorder", "10.6.0.0/24"]},
        {"name": "ssh", "class": "interactive", "to": ["203.0.113.0/24"], "proto": "tcp", "ports": ["22"]},
    ],
}


def mutate(path, value):
    return docpath.changed(GOOD, path, value)


@pytest.fixture
def good():
    return copy.deepcopy(GOOD)
