"""Shared input of the ha unit tests: one node (lab-a23) of a pair with an office and a WAN segment."""
import copy

import pytest

from tests.unit import docpath

A23 = [{"name": "wan", "role": "wan", "interfaces": ["ls-hawan"], "address": ["198.51.100.2/29"]},
       {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["ls-halan"], "address": ["10.3.0.2/24"]}]
A24 = [{"name": "wan", "role": "wan", "interfaces": ["ls-hawan"], "address": ["198.51.100.3/29"]},
       {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["ls-halan"], "address": "10.3.0.3/24"}]

GOOD = {
    "node": "lab-a23",
    "pair": ["lab-a23", "lab-a24"],
    "vips": [{"zone": "office", "vrid": 51, "address": "10.3.0.1/24"},
             {"zone": "wan", "vrid": 52, "address": "198.51.100.4/29", "snat": True}],
    "sync": {"zone": "office", "port": 3780},
    "wan_check": {"zone": "wan", "targets": ["198.51.100.1"]},
    "zones": A23,
    "peer_zones": A24,
}


def mutate(path, value):
    return docpath.changed(GOOD, path, value)


@pytest.fixture
def good():
    return copy.deepcopy(GOOD)
