"""Shared input of the routing unit tests: a branch with zones, three links, a tunnel, every protocol."""
import copy

import pytest

GOOD = {
    "router_id": "10.255.0.17",
    "zones": [{"name": "office", "bridge": "br3", "address": ["10.17.3.1/24"]},
              {"name": "media", "bridge": "br4", "address": ["10.17.4.1/24"]}],
    "links": [{"name": "to-b", "interface": "lk-a18", "address": "198.19.17.73/30"},
              {"name": "to-c", "interface": "lk-a19", "address": "198.19.17.77/30"},
              {"name": "legacy", "interface": "lk-legacy", "address": "198.19.0.69/30"}],
    "tunnels": [{"name": "hq", "interface": "wg0"}],
    "static_routes": [{"prefix": "10.99.0.0/16", "blackhole": True},
                      {"prefix": "10.98.0.0/16", "via": "198.19.17.74", "distance": 200, "table": 100}],
    "prefix_lists": [{"name": "legacy-in", "entries": [{"prefix": "172.16.0.0/12", "le": 24}]}],
    "ospf": {"areas": [{"id": "1", "type": "stub"}],
             "spf_throttle": {"delay": 10, "initial_hold": 100, "max_hold": 5000},
             "interfaces": [{"zone": "office"},
                            {"link": "to-b", "bfd": True, "bfd_profile": "fast", "hello_interval": 1,
                             "dead_interval": 4, "authentication": {"mode": "md5", "key": "s3cret"}},
                            {"link": "to-c", "cost": 20},
                            {"tunnel": "hq", "area": "1"}],
             "redistribute": [{"source": "connected", "zones": ["media"]}, {"source": "rip", "metric_type": 1}]},
    "rip": {"interfaces": [{"link": "legacy", "authentication": {"mode": "md5", "key": "ripkey"}},
                           {"zone": "office", "passive": True}],
            "redistribute": [{"source": "ospf"}, {"source": "connected", "zones": ["office"]}],
            "distribute_lists": [{"prefix_list": "legacy-in", "direction": "in"}]},
    "pim": {"rp": [{"address": "10.255.0.18", "groups": "239.0.0.0/8"}],
            "interfaces": [{"link": "to-b"}, {"zone": "office"}], "igmp": [{"zone": "office"}]},
    "bfd": {"profiles": [{"name": "fast", "detect_multiplier": 3, "receive_interval": 100,
                          "transmit_interval": 100}],
            "peers": [{"address": "198.19.17.74", "interface": {"link": "to-b"}, "profile": "fast"}]},
}


@pytest.fixture
def good():
    return copy.deepcopy(GOOD)
