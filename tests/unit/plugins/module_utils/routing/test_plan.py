"""One code path for check mode and a real run: the plan is decided from the box's files, unit state
and frr-reload.py's own differ; FRR's parser runs first; a refusal changes nothing."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.routing import plan as rplan
from ansible_collections.azblink.nfv.plugins.module_utils.routing.adapter import CONF, DAEMONS, RoutingError

CONF_TEXT = "frr version 8.4.4\nrouter ospf\n ospf router-id 10.0.0.1\nexit\nend\n"


class FakeAdapter(object):
    def __init__(self, files=None, active=True, enabled=True, delta=([], []), refuse=False):
        self.files = dict(files or {})
        self.active, self.enabled, self.delta, self.refuse = active, enabled, delta, refuse
        self.calls = []

    def check(self, text):
        self.calls.append("check")
        if self.refuse:
            raise RoutingError("FRR refused the rendered configuration: line 2")

    def unit_state(self):
        return self.active, self.enabled

    def read(self, path):
        return self.files.get(path)

    def live_delta(self, text):
        self.calls.append("live_delta")
        return self.delta

    def write(self, path, text, mode):
        self.calls.append("write " + path)
        self.files[path] = text

    def reload_config(self):
        self.calls.append("reload")

    def start(self):
        self.calls.append("start")

    def enable(self):
        self.calls.append("enable")


def test_nothing_to_do_when_files_and_daemons_match():
    ad = FakeAdapter({CONF: CONF_TEXT, DAEMONS: "d"})
    p = rplan.plan(ad, CONF_TEXT, "d")
    assert not p.changed and p.actions() == []
    assert ad.calls == ["check", "live_delta"]


def test_running_config_drift_alone_is_a_change_applied_by_reload():
    ad = FakeAdapter({CONF: CONF_TEXT, DAEMONS: "d"}, delta=(["no ip route 1.0.0.0/8 blackhole"], []))
    p = rplan.plan(ad, CONF_TEXT, "d")
    assert p.changed
    rplan.execute(p, ad)
    assert ad.calls[-1] == "reload" and not any(c.startswith("write") for c in ad.calls)
    assert p.diff()[0]["before"] == "no ip route 1.0.0.0/8 blackhole\n"


def test_config_change_is_written_then_reloaded_without_restart():
    ad = FakeAdapter({CONF: "old\n", DAEMONS: "d"}, delta=([], [" ip ospf cost 5"]))
    p = rplan.plan(ad, CONF_TEXT, "d")
    rplan.execute(p, ad)
    assert ad.calls[-2:] == ["write " + CONF, "reload"]
    assert "start" not in ad.calls


def test_first_apply_writes_daemons_and_starts_frr():
    ad = FakeAdapter({CONF: "default\n", DAEMONS: "stock"}, enabled=False)
    p = rplan.plan(ad, CONF_TEXT, "ours")
    assert "live_delta" not in ad.calls  # the running daemons are about to be replaced
    rplan.execute(p, ad)
    assert ad.calls[-4:] == ["write " + DAEMONS, "write " + CONF, "start", "enable"]


def test_parser_refusal_changes_nothing():
    ad = FakeAdapter({CONF: "old\n", DAEMONS: "d"}, refuse=True)
    with pytest.raises(RoutingError):
        rplan.plan(ad, CONF_TEXT, "d")
    assert ad.calls == ["check"] and ad.files[CONF] == "old\n"


def test_diff_masks_keys():
    secret = "interface x\n ip ospf message-digest-key 1 md5 topsecret\nexit\n"
    ad = FakeAdapter({CONF: "old\n", DAEMONS: "d"}, delta=([], [" ip ospf message-digest-key 1 md5 topsecret"]))
    p = rplan.plan(ad, secret, "d")
    assert "topsecret" not in repr(p.diff())


def test_absent_turns_every_daemon_off():
    text = rplan.absent_daemons()
    assert "ospfd=no" in text and "bfdd=no" in text and "ospfd=yes" not in text
    assert "router" not in rplan.absent_conf("lab-a17")


def test_a_changed_file_skips_the_live_pass_unless_a_diff_is_wanted():
    ad = FakeAdapter({CONF: "old\n", DAEMONS: "d"}, delta=([], [" ip ospf cost 5"]))
    p = rplan.plan(ad, CONF_TEXT, "d", want_diff=False)
    assert p.changed and "live_delta" not in ad.calls
    rplan.execute(p, ad)
    assert ad.calls[-1] == "reload"
    ad = FakeAdapter({CONF: CONF_TEXT, DAEMONS: "d"}, delta=(["no ip route 1.0.0.0/8 blackhole"], []))
    assert rplan.plan(ad, CONF_TEXT, "d", want_diff=False).changed  # drift is still seen
