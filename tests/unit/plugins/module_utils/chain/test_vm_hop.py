"""A VNF that is a VM (a libvirt guest of azb_vms) as a routed hop: model checks with field paths, its
bridges, the guest's addresses and command line, the steering through its bridges."""
import pytest

from ansible_collections.azblink.nfv.plugins.filter.azb_chain import azb_chain_vm_guests
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, plan, render
from tests.unit import docpath
from tests.unit.refusal import assert_refused

DELETE = docpath.DELETE
HOP1 = {"name": "hop1", "kind": "vm", "config": {"vm": "hopvm"}}
HOPVM = {"name": "hopvm", "nics": [{"bridge": "azbhhop1i"}, {"bridge": "azbhhop1o"}]}
VM_CHAIN = {"name": "office-vm", "from": ["office"], "to": ["203.0.113.2/32"], "proto": "icmp",
            "hops": [{"name": "vm", "instances": ["hop1"], "on_failure": "block"}], "exit": {"via": "wan2"}}


@pytest.fixture
def with_vm(example):
    example["vnfs"].append(dict(HOP1, config=dict(HOP1["config"])))
    example["vms"] = [dict(HOPVM, nics=[dict(n) for n in HOPVM["nics"]])]
    example["chains"].append(dict(VM_CHAIN))
    return example


BAD = [
    # (id, dotted path to change, new value, expected field path, words of the reason)
    ("VM hop naming an unknown VM", "vnfs.4.config.vm", "nosuchvm", "vnfs[4].config.vm", "not a VM of azb_vms"),
    ("VM hop without its VM", "vnfs.4.config", {}, "vnfs[4].config.vm", "required"),
    ("VM hop with a bad VM name", "vnfs.4.config.vm", "Bad VM", "vnfs[4].config.vm", "not a valid name"),
    ("VM with its NICs elsewhere", "vms.0.nics.1.bridge", "br3", "vnfs[4].config.vm", "first two NICs on bridges"),
    ("VM with its NICs swapped", "vms.0.nics", [{"bridge": "azbhhop1o"}, {"bridge": "azbhhop1i"}],
     "vnfs[4].config.vm", "azbhhop1i (in, eth0)"),
    ("VM with one NIC", "vms.0.nics", [{"bridge": "azbhhop1i"}], "vnfs[4].config.vm", "first two NICs"),
    ("VM hop as an inline hop", "chains.1.hops.0.mode", "inline", "chains[1].hops[0].instances[0]",
     "a vm VNF cannot serve a inline hop"),
    ("no VMs at all", "vms", [], "vnfs[4].config.vm", "known: none"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_vm_hop_is_refused_with_its_path(with_vm, case):
    _id, where, value, path, words = case
    doc = docpath.changed(with_vm, where, value)
    assert_refused(lambda: model.build(doc), path, words)


def test_a_vm_serves_one_vnf(with_vm):
    with_vm["vnfs"].append({"name": "hop2", "kind": "vm", "config": {"vm": "hopvm"}})
    assert_refused(lambda: model.build(with_vm), "vnfs[5].config.vm", "already serves VNF 'hop1'")


def test_without_vms_the_vm_is_not_checked(with_vm):
    """A converge without the workloads role (state rendered, ids_mode) cannot know the VMs."""
    del with_vm["vms"]
    assert model.build(with_vm).vnf("hop1").config == {"vm": "hopvm"}


def test_a_vm_hop_is_routed_and_its_links_are_bridges_named_after_it(with_vm):
    site = model.build(with_vm)
    v = site.vnf("hop1")
    assert (v.host_in, v.host_out) == ("azbhhop1i", "azbhhop1o")
    assert site.chains[1].hops[0].mode == "routed"
    rules = render.steering_rules(site)
    assert 'iifname "azbhhop1o" meta mark set symhash mod 16 map @c2_f1' in rules
    assert 'iifname "azbhhop1i" meta mark set symhash mod 16 map @c2_r1' in rules
    assert any("ip daddr 203.0.113.2/32" in r and "meta l4proto icmp" in r and "@c2_f0" in r for r in rules)


def test_the_guest_gets_its_addresses_from_the_chain_model(with_vm):
    site = model.build(with_vm)
    g = render.vm_guests(site)["hop1"]
    # VNF index 4: its /29 is 10.255.0.32 - in .33 box / .34 guest, out .37 box / .38 guest.
    assert g["nics"] == [{"bridge": "azbhhop1i"}, {"bridge": "azbhhop1o"}]
    assert g["addresses"] == {"in": "10.255.0.34/30", "out": "10.255.0.38/30"}
    assert g["cmdline"] == ("azb.ip=10.255.0.34/30 azb.ip1=10.255.0.38/30 azb.gw=10.255.0.37 azb.forward "
                            "azb.return=10.255.0.33")
    assert azb_chain_vm_guests(with_vm["vnfs"])["hopvm"] == dict(g, vnf="hop1")


def test_the_vm_unit_holds_links_not_a_namespace(with_vm):
    import json
    site = model.build(with_vm)
    files = render.files(site)
    conf = json.loads(files["/etc/azblink/chain/vnf/hop1.json"])
    assert conf["kind"] == "vm" and conf["vm"] == "hopvm" and conf["nft"] is None
    assert conf["argv"][0] == "/usr/bin/virsh" and conf["stdout"].endswith("/hop1/libvirt-events.log")
    assert "/etc/azblink/chain/vnf/hop1.nft" not in files
    # Its health probe goes through the guest like any instance's.
    health = json.loads(files["/etc/azblink/chain/health.json"])
    assert [i["name"] for i in health["instances"]][-1] == "hop1"
    assert "Before=libvirtd.service" in render.UNIT_VNF_TEXT


# -- removing a vm VNF: its unit and bridges go with its files ------------------------------------

def _without_vm(doc):
    doc = dict(doc, vnfs=[v for v in doc["vnfs"] if v["kind"] != "vm"],
               chains=[c for c in doc["chains"] if c["name"] != VM_CHAIN["name"]])
    doc.pop("vms", None)
    return doc


def test_removing_the_vm_vnf_plans_its_unit_and_bridges_away(with_vm):
    from tests.unit.plugins.module_utils.chain.test_render import FakeBox
    box = FakeBox(model.build(with_vm))
    box.links_set.add("azbs0i")  # a namespace VNF's veth, not a VM bridge: left alone
    p = plan.plan(model.build(_without_vm(with_vm)), box)
    assert p.stop == ["azb-vnf@hop1.service"]
    assert p.links_del == ["azbhhop1i", "azbhhop1o"]
    assert "/etc/azblink/chain/vnf/hop1.json" in p.files_stale
    acts = p.actions()
    assert "ip link del azbhhop1i" in acts and "ip link del azbhhop1o" in acts
    plan.execute_leftovers(p, box)
    # The unit stops first (its net-down takes the routes through the bridges), then the bridges go.
    assert box.calls == [("systemctl", "disable", "--now", "azb-vnf@hop1.service"),
                         ("systemctl", "reset-failed", "azb-vnf@hop1.service"),
                         ("ip link del", "azbhhop1i"), ("ip link del", "azbhhop1o")]


def test_a_converged_vm_hop_keeps_its_bridges(with_vm):
    from tests.unit.plugins.module_utils.chain.test_render import FakeBox
    site = model.build(with_vm)
    p = plan.plan(site, FakeBox(site))
    assert not p.changed and not p.links_del, p.actions()


def test_bridges_and_a_failed_unit_left_without_their_file_are_still_removed(example):
    """An earlier run (or a version that kept them) left the bridges and a failed unit but no file:
    the box's interfaces and systemd's units are the truth, not the VNF directory."""
    from tests.unit.plugins.module_utils.chain.test_render import FakeBox
    site = model.build(example)
    box = FakeBox(site)
    box.links_set |= {"azbhold1i", "azbhold1o"}
    box.units.add("azb-vnf@old1.service")
    box.failed.add("azb-vnf@old1.service")
    box.unit_enabled = lambda unit: unit != "azb-vnf@old1.service"
    p = plan.plan(site, box)
    assert p.stop == [] and p.reset == ["azb-vnf@old1.service"]
    assert p.links_del == ["azbhold1i", "azbhold1o"] and p.changed
    assert "reset-failed azb-vnf@old1.service" in p.actions()


def test_state_absent_removes_every_vm_bridge(with_vm):
    from tests.unit.plugins.module_utils.chain.test_render import FakeBox
    p = plan.plan_absent(FakeBox(model.build(with_vm)))
    assert p.links_del == ["azbhhop1i", "azbhhop1o"]
    assert p.stop[0] == "azb-chain-health.service" and "azb-vnf@hop1.service" in p.stop
