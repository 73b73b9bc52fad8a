"""The prerequisites a module converges before its own work: bad input named under its option before
anything changes, and their result folded into the module's (changed, diff first, actions first)."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites


def params(**kw):
    out = {"files": [], "units": [], "helpers": [], "packages": [], "packages_cache_valid_time": 3600}
    out.update(kw)
    return out


def pass_result(changed=True):
    return {"changed": changed, "changed_paths": ["/etc/x"] if changed else [],
            "installed_packages": ["ulogd2"] if changed else [],
            "changes": {"/etc/x": ["content"]} if changed else {},
            "changed_units": {"ulogd2.service": ["start"]} if changed else {},
            "changed_helpers": {"/bin/h": ["changed a -> b"]} if changed else {},
            "daemon_reloaded": False, "diff": {"before": "", "after": "/etc/x: content\n"}}


def test_bad_input_is_named_under_the_option():
    bad = params(files=[{"path": "relative/x", "state": "file", "content": "x", "mode": "0644",
                         "owner": "root", "group": "root"}])
    with pytest.raises(ValueError, match=r"^prerequisites\.files\[0\]\.path: "):
        prerequisites.check(bad, "prerequisites.")


def test_bad_package_name_is_named():
    with pytest.raises(ValueError, match=r"^prerequisites\.packages"):
        prerequisites.check(params(packages=["bad name;"]), "prerequisites.")


def test_nothing_to_do_leaves_the_module_result_as_it_is_but_reports_the_pass():
    own = {"changed": False, "actions": []}
    out = prerequisites.merged(own, pass_result(changed=False))
    assert out["changed"] is False
    assert out["actions"] == []
    assert "diff" not in out
    assert out["prerequisites"]["changed_paths"] == []
    assert "diff" not in out["prerequisites"]


@pytest.mark.parametrize("own_diff", [None, {"before": "a", "after": "b"}, [{"before": "a", "after": "b"}]])
def test_a_change_makes_the_task_changed_with_its_diff_and_actions_first(own_diff):
    own = {"changed": False, "actions": ["own action"]}
    if own_diff is not None:
        own["diff"] = own_diff
    out = prerequisites.merged(own, pass_result())
    assert out["changed"] is True
    assert out["diff"][0] == {"before": "", "after": "/etc/x: content\n"}
    assert len(out["diff"]) == (1 if own_diff is None else 2)
    assert out["actions"][0] == "own action"
    assert out["actions"][1:] == ["prerequisites: install ulogd2", "prerequisites: /etc/x content",
                                  "prerequisites: ulogd2.service start", "prerequisites: changed a -> b"]
    assert own["changed"] is False  # the module's own result is not modified in place


def test_the_modules_that_carry_prerequisites_share_one_spec():
    from ansible_collections.azblink.nfv.plugins.module_utils.wan import spec as wan_spec
    from ansible_collections.azblink.nfv.plugins.module_utils.zones import spec as zone_spec
    from ansible_collections.azblink.nfv.plugins.modules import azb_vpn
    for spec in (zone_spec.argument_spec(), wan_spec.argument_spec(), azb_vpn.argument_spec()):
        assert spec["prerequisites"] is prerequisites.ARGUMENT_SPEC["prerequisites"]
    # azb_vm adds it to the module's spec, not to a VM's options (the list form's elements)
    from ansible_collections.azblink.nfv.plugins.module_utils.vm import runner
    assert "prerequisites" not in runner.VM_OPTIONS


def test_azb_files_own_actions_are_the_lines_without_the_prefix():
    # azb_files' result and audit record name each change (not "the module lists no actions").
    assert prerequisites.actions(pass_result(), prefix="") == [
        "install ulogd2", "/etc/x content", "ulogd2.service start", "changed a -> b"]
    assert prerequisites.actions(pass_result(changed=False), prefix="") == []
