"""The expected zone matrix: the zone model evaluated as the ruleset is (policies, drops first, then
the role matrix), and the comparison that makes a report fail."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.evidence import expect
from ansible_collections.azblink.nfv.plugins.module_utils.zones import model

ZONES = [
    {"name": "wan", "role": "wan", "bridge": "br0", "address": ["192.0.2.10/29"], "gateway": "192.0.2.9"},
    {"name": "lab", "role": "restricted", "bridge": "br1", "address": ["10.1.0.1/24"]},
    {"name": "dmz", "role": "dmz", "bridge": "br2", "address": ["10.2.0.1/24"]},
    {"name": "office", "role": "trusted", "bridge": "br3", "address": ["10.3.0.1/24"]},
    {"name": "dev", "role": "trusted", "bridge": "br4", "address": ["10.4.0.1/24"]},
    {"name": "vpn", "role": "trusted", "interfaces": ["wg0"]},
]


def site(policies=()):
    return model.build({"zones": ZONES, "policies": list(policies), "management_sources": ["198.18.0.1/32"]})


def cell(cells, src, dst):
    return [c for c in cells if c["from"] == src and c["to"] == dst][0]


def test_probe_zones_need_a_bridge_and_an_ipv4_subnet():
    assert [z.name for z in expect.probe_zones(site())] == ["wan", "lab", "dmz", "office", "dev"]


def test_probe_address_is_near_the_end_of_the_subnet():
    iface, addr = expect.probe_address(site().zones[1])
    assert str(addr) == "10.1.0.253" and str(iface.ip) == "10.1.0.1"


def test_the_wan_is_a_source_only_and_no_zone_probes_itself():
    cells = expect.expected(site())
    assert not [c for c in cells if c["to"] == "wan" or c["from"] == c["to"]]
    assert len(cells) == 5 * 4 - 4  # 5 sources x 4 inner destinations, minus self


@pytest.mark.parametrize("src,dst,verdict", [
    ("office", "lab", "allowed"), ("office", "dmz", "allowed"), ("office", "dev", "refused"),
    ("lab", "office", "refused"), ("lab", "dmz", "refused"), ("dmz", "office", "refused"),
    ("wan", "office", "refused"), ("wan", "dmz", "refused"),
])
def test_default_matrix(src, dst, verdict):
    assert cell(expect.expected(site()), src, dst)["expected"] == verdict


def test_a_policy_opens_a_cell_only_for_its_port():
    pol = [{"name": "office-dev", "from": ["office"], "to": ["dev"], "proto": "tcp", "ports": ["9"]}]
    assert cell(expect.expected(site(pol), port=9), "office", "dev")["expected"] == "allowed"
    assert cell(expect.expected(site(pol), port=10), "office", "dev")["expected"] == "refused"


def test_a_drop_wins_over_an_accept_and_over_the_matrix():
    pol = [{"name": "open", "from": ["any"], "to": ["lab"], "proto": "any"},
           {"name": "shut", "from": ["office"], "to": ["lab"], "proto": "tcp", "ports": ["1-100"], "action": "drop"}]
    c = cell(expect.expected(site(pol)), "office", "lab")
    assert c["expected"] == "refused" and c["why"] == "policy shut"
    assert cell(expect.expected(site(pol)), "dmz", "lab")["expected"] == "allowed"


def test_a_policy_to_the_box_itself_does_not_touch_the_matrix():
    pol = [{"name": "ssh-box", "from": ["lab"], "to": ["self"], "proto": "tcp", "ports": ["9"]}]
    assert cell(expect.expected(site(pol)), "lab", "office")["expected"] == "refused"


def test_compare_marks_mismatches_and_unprobed_cells():
    cells = expect.expected(site())
    observed = dict(("%s->%s:9" % (c["from"], c["to"]), c["expected"] == "allowed") for c in cells)
    observed["lab->office:9"] = True        # a hand-inserted accept
    del observed["dmz->lab:9"]              # a probe that did not run
    out = expect.compare(cells, observed)
    bad = sorted((c["from"], c["to"], c["observed"]) for c in out if not c["ok"])
    assert bad == [("dmz", "lab", "not probed"), ("lab", "office", "allowed")]


def test_several_ports_give_one_cell_per_pair_and_port():
    cells = expect.expected(site(), port=[9, 5432])
    assert len(cells) == 2 * 16 and set(c["port"] for c in cells) == {9, 5432}
