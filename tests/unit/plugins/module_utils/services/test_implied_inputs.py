"""The edge services' listeners become openings of the zones firewall (the inputs hook)."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import implied

ZONES = [
    {"name": "uplink", "role": "wan", "bridge": "br0", "interfaces": ["wan1"], "address": "192.0.2.10/29"},
    {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.3.0.1/24"]},
    {"name": "dev", "role": "trusted", "bridge": "br4", "address": "10.4.0.1/24"},
]
LBS = [
    {"name": "web", "bind": "10.3.0.1:8080", "clients": ["office", "dev"],
     "servers": [{"name": "w1", "address": "10.2.0.11", "port": 8000}]},
    {"name": "internal", "bind": "9000", "servers": [{"name": "w1", "address": "10.2.0.11", "port": 9000}]},
]
PROXY = {"allow": ["office", "10.9.0.0/24"], "port": 3128}


def inputs(box):
    return implied.box_inputs(implied.BoxView("box", dict(box, azb_zones=ZONES)))


def test_balancers_open_to_their_clients_and_the_proxy_to_its_allow_list():
    got = inputs({"azb_load_balancers": LBS, "azb_forward_proxy": PROXY})
    assert got == [{"name": "lb-web", "from": ["office", "dev"], "proto": "tcp", "ports": ["8080"]},
                   {"name": "forward-proxy", "from": ["office", "10.9.0.0/24"], "proto": "tcp", "ports": ["3128"]}]


def test_no_services_no_openings():
    assert inputs({}) == [] and inputs({"azb_forward_proxy": {}}) == []


def test_bad_service_declarations_are_refused_with_the_inventory_path():
    with pytest.raises(ValidationError) as exc:
        inputs({"azb_load_balancers": [dict(LBS[0], clients=["sales"])]})
    assert exc.value.path == "azb_load_balancers[0].clients[0]"
    with pytest.raises(ValidationError) as exc:
        inputs({"azb_forward_proxy": {"allow": ["nowhere"]}})
    assert exc.value.path == "azb_forward_proxy.allow[0]"
