"""Audit records: who and what, from the task's environment; never fails on a missing source."""
from ansible_collections.azblink.nfv.plugins.module_utils import audit


def test_who_comes_from_the_environment():
    rec = audit.build("azb_zone", ["load ruleset"], {"state": "present"},
                      environ={"AZB_CONTROLLER_USER": "alice", "SUDO_USER": "admin",
                               "SSH_CLIENT": "198.18.0.1 50522 22"})
    assert rec == {"module": "azb_zone", "actions": ["load ruleset"], "controller_user": "alice",
                   "remote_user": "admin", "controller_address": "198.18.0.1", "state": "present"}


def test_missing_sources_are_null_not_guessed():
    rec = audit.build("azb_zone", [], environ={})
    assert rec["controller_user"] is None and rec["remote_user"] is None and rec["controller_address"] is None
