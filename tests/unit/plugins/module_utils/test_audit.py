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


# -- every module is built on AuditedModule: an applied change always leaves a record ----------

import glob  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

MODULES = os.path.join(os.path.dirname(__file__), "../../../../plugins/modules")


ACTIONS = os.path.join(os.path.dirname(__file__), "../../../../plugins/action")


def test_every_module_of_the_collection_is_an_audited_module():
    """Every module that changes the box's configuration keeps an audit record. The fleet's lock and
    health gate are actions (plugins/action) whose module files are documentation only: they take
    and release a lock under /run and read the box, with no configuration change to record; so is
    the site's check of its roles' variables, which runs on the controller only."""
    paths = sorted(glob.glob(os.path.join(MODULES, "azb_*.py")))
    # The actions of their own (the audited modules' action files only import the shared one).
    actions = {os.path.basename(p) for p in glob.glob(os.path.join(ACTIONS, "azb_*.py")) if not _runs_audited(p)}
    assert actions == {"azb_fleet_gate.py", "azb_fleet_lock.py", "azb_validate_roles.py"}, "a new action: is it audited?"
    modules = [p for p in paths if os.path.basename(p) not in actions]
    assert len(modules) >= 13
    for path in modules:
        text = open(path).read()
        assert "AuditedModule(" in text and not re.search(r"\bAnsibleModule\(", text), path
    for path in set(paths) - set(modules):
        assert "def main" not in open(path).read(), "%s: documentation only, its action does the work" % path


def _runs_audited(action_path):
    return "plugin_utils.audited_action import ActionModule" in open(action_path).read()


def test_every_audited_module_runs_through_the_audited_action():
    """Each audited module's action (plugins/action/<module>.py) is the shared audited one, which names
    the controller's user in the module's environment, whoever's playbook runs it."""
    audited = [os.path.basename(p) for p in sorted(glob.glob(os.path.join(MODULES, "azb_*.py")))
               if "AuditedModule(" in open(p).read()]
    assert len(audited) >= 15
    missing = [m for m in audited if not (os.path.exists(os.path.join(ACTIONS, m)) and _runs_audited(os.path.join(ACTIONS, m)))]
    assert not missing, "audited modules without the audited action (plugins/action/<module>.py): %s" % missing


def _exit(check_mode, **result):
    """An AuditedModule as azb_wan_policy, given a secret option, exits with RESULT."""
    args = dict(name="x", secret="s3cret", _ansible_check_mode=check_mode,
                _ansible_module_name="azblink.nfv.azb_wan_policy")
    with patch_module_args(args):
        module = audit.AuditedModule(argument_spec={"name": {"type": "str"},
                                                    "secret": {"type": "str", "no_log": True}},
                                     supports_check_mode=True)
        with pytest.raises(SystemExit):
            module.exit_json(**result)


@pytest.mark.parametrize("check_mode,changed,records", [(False, True, 1), (True, True, 0), (False, False, 0)])
def test_exit_records_an_applied_change_only(monkeypatch, capsys, check_mode, changed, records):
    written = []
    monkeypatch.setattr(audit, "record", lambda name, actions, extra=None: written.append((name, actions, extra)))
    _exit(check_mode, changed=changed, actions=["switch wan1 weight 2"])
    capsys.readouterr()
    assert len(written) == records
    if records:
        name, actions, extra = written[0]
        assert name == "azb_wan_policy" and actions == ["switch wan1 weight 2"]
        # the configuration's hash leaves the secret option out: changing it does not move the hash
        assert extra["config_sha256"] == audit.config_sha256({"name": "x", "secret": "other"},
                                                             {"secret": {"no_log": True}})


def test_what_changed_falls_back_to_the_diff_headers():
    assert audit.actions_of({"actions": ["a"]}) == ["a"]
    assert audit.actions_of({"diff": [{"before_header": "/etc/x", "after_header": "/etc/x"}]}) == ["changed /etc/x"]
    assert audit.actions_of({}) == ["changed (the module lists no actions)"]
