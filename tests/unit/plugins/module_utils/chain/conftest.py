"""The example chain of docs/chain.md (office -> vFW -> IPS -> proxy -> wan2) as module input."""
import copy

import pytest

EXAMPLE = {
    "service_network": "10.255.0.0/16",
    "zones": [
        {"name": "wan1", "role": "wan", "interfaces": ["wan1"], "address": ["192.0.2.26/29"]},
        {"name": "wan2", "role": "wan", "interfaces": ["wan2"], "address": ["198.51.100.26/29"]},
        {"name": "office", "role": "trusted", "bridge": "br3", "interfaces": ["lc-c3"], "address": ["10.3.0.1/24"]},
        {"name": "lab", "role": "restricted", "bridge": "br1", "address": ["10.1.0.1/24"]},
    ],
    "hosts": [{"name": "pos1", "zone": "lab", "address": ["10.1.0.20"]}],
    "wans": [{"name": "wan1", "interface": "wan1"}, {"name": "wan2", "interface": "wan2"}],
    "tunnels": [{"name": "corpvpn", "interface": "wg-corp", "table": 150}],
    "vnfs": [
        {"name": "fw1", "kind": "nftables", "config": {"rules": ["tcp dport { 80, 443 } accept"]}},
        {"name": "ips1", "kind": "suricata", "config": {"ips_mode": "ips", "rules": [
            'alert http any any -> any any (msg:"azb test"; content:"azb-evil"; http_uri; sid:1000001; rev:1;)']}},
        {"name": "proxy1", "kind": "squid"},
        {"name": "proxy2", "kind": "squid"},
    ],
    "chains": [{
        "name": "office-web", "from": ["office"], "to": ["any"], "proto": "tcp", "ports": [80],
        "hops": [
            {"name": "fw", "instances": ["fw1"]},
            {"name": "ips", "instances": ["ips1"], "on_failure": "block"},
            {"name": "proxy", "instances": ["proxy1", "proxy2"], "on_failure": "bypass"},
        ],
        "exit": {"via": "wan2"},
    }],
}


@pytest.fixture
def example():
    return copy.deepcopy(EXAMPLE)
