"""The module's flow against a fake adapter: check mode changes nothing, rendered needs no connection,
host limits are checked before any change."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, runner


class FakeLibvirt(object):
    def __init__(self, uri, run):
        self.calls = []
        FakeLibvirt.last = self

    def host_facts(self):
        return {"memory_mib": 1024, "cpus": 2, "domain_types": ["qemu"]}

    def lookup(self, name):
        return None

    def volume(self, pool, name):
        return None

    def snapshots(self, dom):
        return []

    def __getattr__(self, name):  # every write records itself
        def call(*a):
            self.calls.append(name)
            return "dom"
        return call


PARAMS = {"name": "t9", "memory": 128, "disks": [{"size": "16M"}], "nics": [{"bridge": "br3"}],
          "boot": {"kernel": "/k"}, "rate_limit_backend": "tc"}


def test_check_mode_plans_but_writes_nothing():
    res = runner.run(dict(PARAMS), None, check_mode=True, want_diff=True, adapter_factory=FakeLibvirt)
    assert res["changed"] is True
    assert res["actions"] == ["create_volume t9-disk0.qcow2", "define", "start"]
    assert FakeLibvirt.last.calls == []
    assert res["diff"]["before"] == "" and "<name>t9</name>" in res["diff"]["after"]


def test_apply_runs_the_actions_in_order():
    res = runner.run(dict(PARAMS), None, adapter_factory=FakeLibvirt)
    assert FakeLibvirt.last.calls == ["create_volume", "define", "start"]
    assert res["uuid"] == model.derive_uuid("t9") and res["macs"] == [model.derive_mac("t9", 0)]


def test_a_box_with_kvm_runs_the_vm_accelerated_and_one_without_says_it_is_emulated():
    class KvmBox(FakeLibvirt):
        def host_facts(self):
            return {"memory_mib": 1024, "cpus": 2, "domain_types": ["qemu", "kvm"]}
    res = runner.run(dict(PARAMS), None, check_mode=True, want_diff=True, adapter_factory=KvmBox)
    assert res["virt_type"] == "kvm" and "warnings" not in res
    assert '<domain type="kvm">' in res["diff"]["after"] and '<cpu mode="host-passthrough"' in res["diff"]["after"]
    res = runner.run(dict(PARAMS), None, check_mode=True, adapter_factory=FakeLibvirt)
    assert res["virt_type"] == "qemu" and "runs emulated (TCG)" in res["warnings"][0]
    # said to mean it: no warning
    assert "warnings" not in runner.run(dict(PARAMS, virt_type="qemu"), None, check_mode=True,
                                        adapter_factory=FakeLibvirt)


def test_kvm_asked_of_a_box_without_it_fails_before_any_call():
    with pytest.raises(model.SpecError) as exc:
        runner.run(dict(PARAMS, virt_type="kvm"), None, adapter_factory=FakeLibvirt)
    assert "virt_type: kvm is not available on this box" in str(exc.value)
    assert FakeLibvirt.last.calls == []


def test_memory_beyond_host_fails_before_any_call():
    with pytest.raises(model.SpecError) as exc:
        runner.run(dict(PARAMS, memory=4096), None, adapter_factory=FakeLibvirt)
    assert "memory: 4096 MiB is more than the host has (1024 MiB)" in str(exc.value)
    assert FakeLibvirt.last.calls == []


def test_rendered_needs_no_connection():
    def boom(*a):
        raise AssertionError("rendered must not connect")
    res = runner.run(dict(PARAMS, state="rendered"), None, adapter_factory=boom)
    assert res["changed"] is False and "<domain" in res["xml"] and res["taps"] == [model.tap_name("t9", 0)]


def test_auto_backend_probes_sfq_only_when_a_nic_is_limited():
    probes = []

    def run(argv):
        probes.append(argv)
        return 2, "", "Error: Specified qdisc kind is unknown."
    spec = model.validate(dict(PARAMS, rate_limit_backend="auto",
                               nics=[{"bridge": "br3", "rate_limit": {"inbound_kbit": 1000}}]))
    backend, note = runner.choose_rate_backend(spec, run)
    assert backend == "tc" and "sfq missing" in note and "sfq" in probes[0][-1]
    assert runner.choose_rate_backend(spec, lambda argv: (0, "", ""))[0] == "libvirt"


class FakeFleet(object):
    """A fake libvirt with existing domains (name -> inactive XML) that records every write."""
    domains = {}
    opened = []

    def __init__(self, uri, run):
        self.calls = []
        FakeFleet.last = self
        FakeFleet.opened.append(uri)

    def host_facts(self):
        return {"memory_mib": 1024, "cpus": 2, "domain_types": ["qemu"]}

    def lookup(self, name):
        return name if name in FakeFleet.domains else None

    def inactive_xml(self, dom):
        return FakeFleet.domains[dom]

    def is_active(self, dom):
        return True

    def autostart(self, dom):
        return False

    def volume_refs(self, xml):
        return []

    def link_exists(self, dev):
        return False

    def volume(self, pool, name):
        return None

    def snapshots(self, dom):
        return []

    def define(self, xml):
        self.calls.append("define")
        return "new"

    def __getattr__(self, name):
        def call(*a):
            self.calls.append(name)
            return "dom"
        return call


def _vm(name, **kw):
    return dict({"name": name, "memory": 64, "nics": [{"bridge": "br3"}], "boot": {"kernel": "/k"},
                 "rate_limit_backend": "tc"}, **kw)


def test_list_form_converges_every_vm_on_one_connection_in_order():
    FakeFleet.domains, FakeFleet.opened = {}, []
    res = runner.run_many([_vm("a1"), _vm("a2")], None, want_diff=True, adapter_factory=FakeFleet)
    assert FakeFleet.opened == ["qemu:///system"]
    # each VM defined and started before the next is defined: it boots while the next is defined
    assert FakeFleet.last.calls == ["define", "start", "define", "start"]
    assert res["changed"] is True and res["actions"] == ["a1: define", "a1: start", "a2: define", "a2: start"]
    assert [v["name"] for v in res["vms"]] == ["a1", "a2"] and res["vms"][1]["actions"] == ["define", "start"]
    assert [d["after_header"] for d in res["diff"]] == ["a1 (desired)", "a2 (desired)"]


def test_list_form_unchanged_vm_is_a_no_op_and_has_no_diff():
    FakeFleet.domains, FakeFleet.opened = {}, []
    xml = runner.run_many([_vm("a1")], None, check_mode=True, adapter_factory=FakeFleet)["vms"][0]["xml"]
    FakeFleet.domains = {"a1": xml}
    res = runner.run_many([_vm("a1", state="present"), _vm("a2", state="present")], None, want_diff=True,
                          adapter_factory=FakeFleet)
    assert res["vms"][0]["changed"] is False and res["vms"][1]["actions"] == ["define"]
    assert FakeFleet.last.calls == ["define"] and len(res["diff"]) == 1
    # the VM defined emulated is named in the run's warnings (Ansible shows the top level's only)
    assert res["warnings"] == [runner.TCG_WARNING % "a2"] and "warnings" not in res["vms"][1]


def test_list_form_check_mode_writes_nothing():
    FakeFleet.domains = {}
    res = runner.run_many([_vm("a1"), _vm("a2")], None, check_mode=True, adapter_factory=FakeFleet)
    assert res["changed"] is True and FakeFleet.last.calls == []


def test_list_form_names_the_field_path_of_every_bad_vm_before_any_call():
    FakeFleet.opened = []
    with pytest.raises(model.SpecError) as exc:
        runner.run_many([_vm("a1", nics=[{"bridge": "br3", "mac": "zz"}]), _vm("a1", colour="red"), "x"], None,
                        adapter_factory=FakeFleet)
    paths = [p for p, _r in exc.value.errors]
    assert paths == ["vms[0].nics[0].mac", "vms[1].colour", "vms[1].name", "vms[2]"]
    assert "duplicate VM 'a1' (also vms[0])" in str(exc.value)
    assert FakeFleet.opened == []


def test_list_form_checks_every_host_limit_before_any_change():
    FakeFleet.domains = {}
    with pytest.raises(model.SpecError) as exc:
        runner.run_many([_vm("a1"), _vm("a2", memory=4096)], None, adapter_factory=FakeFleet)
    assert exc.value.errors == [("vms[1].memory", "4096 MiB is more than the host has (1024 MiB)")]
    assert FakeFleet.last.calls == []


def test_list_form_refuses_snapshots():
    with pytest.raises(model.SpecError) as exc:
        runner.run_many([_vm("a1", snapshot={"name": "s1"})], None, adapter_factory=FakeFleet)
    assert exc.value.errors[0][0] == "vms[0].snapshot"


def test_list_form_renders_without_a_connection():
    def boom(*a):
        raise AssertionError("rendered must not connect")
    res = runner.run_many([_vm("a1", state="rendered")], None, adapter_factory=boom)
    assert res["changed"] is False and "<name>a1</name>" in res["vms"][0]["xml"]
