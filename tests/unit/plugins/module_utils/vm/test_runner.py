"""The module's flow against a fake adapter: check mode changes nothing, rendered needs no connection,
host limits are checked before any change."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, runner


class FakeLibvirt(object):
    def __init__(self, uri, run):
        self.calls = []
        FakeLibvirt.last = self

    def host_facts(self):
        return {"memory_mib": 1024, "cpus": 2}

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
