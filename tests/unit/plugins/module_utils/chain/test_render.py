"""The renderers: the steering table and the VNFs' rulesets load into nft, rules and files follow
the model, the IPS rules follow the mode, and check mode plans against a fake box."""
import json

import pytest

from tests.unit import nft_scratch

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, plan, render

ALL = {"fw1", "ips1", "proxy1", "proxy2"}


def test_steering_table_loads(example):
    out = nft_scratch.load(render.nft_table(model.build(example), alive=ALL))
    assert "map c1_f0" in out and "map c1_r4" in out


def test_steering_rules(example):
    text = render.nft_table(model.build(example), alive=ALL)
    assert ('iifname "br3" ip daddr != { 10.1.0.0/24, 10.3.0.0/24, 10.255.0.0/16 } fib daddr type != local'
            ' meta l4proto tcp th dport 80 meta mark set symhash mod 16 map @c1_f0') in text
    assert 'iifname { "azbs2o", "azbs3o" } meta mark set symhash mod 16 map @c1_f3' in text
    # Only the exit segment is tracked: route ids from 0x10 up are not.
    assert "meta mark and 0x0ff00000 != 0 notrack" in text
    assert "ct direction reply ct mark and 0xf0000000 == 0x10000000 meta mark set symhash mod 16 map @c1_r4" in text


def test_vnf_rulesets_load(example):
    site = model.build(example)
    for v in site.vnfs:
        text = render.vnf_nft(site, v)
        if text:
            nft_scratch.load(text)


def test_ips_rules_follow_the_mode(example):
    site = model.build(example)
    assert render.suricata_rules(site.vnf("ips1")).startswith("drop http ")
    example["vnfs"][1]["config"]["ips_mode"] = "ids"
    example["vnfs"][1]["config"]["rules"].append("drop tcp any any -> any 23 (msg:\"telnet\"; sid:7;)")
    lines = render.suricata_rules(model.build(example).vnf("ips1")).splitlines()
    assert [line.split()[0] for line in lines] == ["alert", "alert"]


def test_rules_and_files(example):
    site = model.build(example)
    rules = render.rules(site)
    assert "950 fwmark 0x10000/0xfff0000 lookup 102" in rules
    assert "950 fwmark 0x100000/0xfff0000 lookup main" in rules
    assert "950 fwmark 0x110000/0xfff0000 blackhole" in rules
    assert "950 fwmark 0x1000000/0xfff0000 lookup 20256" in rules
    assert not [r for r in rules if r.startswith("951 ")], "a WAN exit falls back to the main table by default"
    files = render.files(site)
    conf = json.loads(files["/etc/azblink/chain/vnf/fw1.json"])
    assert conf["inside"] == ["10.255.0.0/16", "10.3.0.0/24"]
    assert "http_port 3129 intercept" in files["/etc/azblink/chain/vnf/proxy1.squid.conf"]
    assert "queue-num 0" in files["/etc/azblink/chain/vnf/ips1.iptables"]
    assert "--queue-bypass" not in files["/etc/azblink/chain/vnf/ips1.iptables"]
    health = json.loads(files["/etc/azblink/chain/health.json"])
    assert [i["name"] for i in health["instances"]] == ["fw1", "ips1", "proxy1", "proxy2"]


class FakeBox(object):
    """A box that already runs ``site`` (or nothing)."""

    def __init__(self, site=None):
        self.files = render.files(site) if site else {}
        self.table = render.nft_table(site, alive=ALL) if site else ""
        self.rule_list = render.rules(site) if site else []
        self.active = bool(site)
        self.calls = []
        vnfs = site.vnfs if site else []
        self.links_set = set(["lo", "br3"] + [n for v in vnfs if v.kind == "vm" for n in (v.host_in, v.host_out)])
        self.units = set("azb-vnf@%s.service" % v.name for v in vnfs)
        self.failed = set()

    def nft_canonical(self, text):
        return text

    def nft_live(self):
        return self.table

    def rules(self):
        return list(self.rule_list)

    def read(self, path):
        return self.files.get(path)

    def listdir(self, path):
        return sorted(p.rsplit("/", 1)[1] for p in self.files if p.startswith(path + "/"))

    def unit_enabled(self, unit):
        return self.active

    def unit_active(self, unit):
        return self.active and unit not in self.failed

    def unit_failed(self, unit):
        return unit in self.failed

    def links(self):
        return sorted(self.links_set)

    def vnf_units(self):
        return sorted(self.units)

    # -- what execute does (recorded) ------------------------------------------------------------
    def systemctl(self, *args):
        self.calls.append(("systemctl",) + args)
        return 0, "", ""

    def link_del(self, name):
        self.calls.append(("ip link del", name))


def test_plan_on_a_converged_box_changes_nothing(example):
    site = model.build(example)
    p = plan.plan(site, FakeBox(site))
    assert not p.changed, p.actions()


def test_plan_on_an_empty_box(example):
    site = model.build(example)
    p = plan.plan(site, FakeBox())
    assert p.changed and p.nft_change
    assert "start azb-vnf@ips1.service" in " ".join(p.actions())
    assert p.diff()


def test_a_changed_rule_restarts_only_its_vnf(example):
    site = model.build(example)
    box = FakeBox(site)
    example["vnfs"][0]["config"]["rules"] = ["tcp dport 443 accept"]
    p = plan.plan(model.build(example), box)
    assert p.restart == ["azb-vnf@fw1.service"] and not p.nft_change


@pytest.mark.parametrize("via, on_failure, closed", [("corpvpn", None, True), ("corpvpn", "fallback", False),
                                                     ("wan2", "fail_closed", True), ("wan2", None, False)])
def test_a_fail_closed_exit_never_falls_through_to_the_main_table(example, via, on_failure, closed):
    """Without a route in the exit's table the kernel would try the next rules (the main table: out of
    a WAN in clear); a fail-closed exit has a blackhole right after its lookup."""
    example["chains"][0]["exit"] = dict({"via": via}, **({"on_failure": on_failure} if on_failure else {}))
    rules = render.rules(model.build(example))
    assert ("951 fwmark 0x10000/0xfff0000 blackhole" in rules) is closed
    assert rules.index("950 fwmark 0x10000/0xfff0000 lookup %d" % (150 if via == "corpvpn" else 102)) >= 0
