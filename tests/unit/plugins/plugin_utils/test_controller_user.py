"""controller_user: the person the inventory or the job names, else AWX's launching user, else the
controller's login; with_controller_user: the module's environment gains AZB_CONTROLLER_USER, and a
task that sets it itself keeps its own."""
import getpass

from ansible_collections.azblink.nfv.plugins.plugin_utils.controller_user import controller_user, with_controller_user


def test_the_named_person_then_awx_user_then_the_login():
    login = {"USER": "ops"}
    assert controller_user({"azb_controller_user": "carol", "awx_user_name": "alice"}, environ=login) == "carol"
    assert controller_user({"awx_user_name": "alice"}, environ=login) == "alice"
    assert controller_user({"tower_user_name": "bob"}, environ=login) == "bob"
    assert controller_user({"azb_controller_user": ""}, environ=login) == "ops"   # empty names nobody
    assert controller_user({}, environ=login) == "ops"


def test_a_named_variable_is_templated():
    seen = []
    assert controller_user({"azb_controller_user": "{{ who }}"}, lambda v: seen.append(v) or "dave", environ={}) == "dave"
    assert seen == ["{{ who }}"]


def test_no_login_and_no_passwd_entry_is_unknown_not_a_failure(monkeypatch):
    def no_entry():
        raise KeyError("getpwuid(): uid not found: 1000650000")   # an execution environment's uid
    monkeypatch.setattr(getpass, "getuser", no_entry)
    assert controller_user({}, environ={}) == "unknown"


def test_the_tasks_own_environment_wins():
    assert with_controller_user(None, "ops") == {"AZB_CONTROLLER_USER": "ops"}
    assert with_controller_user({}, "ops") == {"AZB_CONTROLLER_USER": "ops"}
    assert with_controller_user({"LANG": "C"}, "ops") == {"AZB_CONTROLLER_USER": "ops", "LANG": "C"}
    assert with_controller_user({"AZB_CONTROLLER_USER": "molecule"}, "ops") == {"AZB_CONTROLLER_USER": "molecule"}
    # The raw list (before Ansible templated it): ours first, so the task's entries are merged over it.
    assert with_controller_user([{"AZB_CONTROLLER_USER": "x"}], "ops") == [{"AZB_CONTROLLER_USER": "ops"}, {"AZB_CONTROLLER_USER": "x"}]
