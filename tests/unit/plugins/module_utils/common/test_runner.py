"""The shared module flow: check mode plans but never executes, diff only when asked and changed,
bad input fails with its field path, adapter errors fail with their message, others propagate."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError


class Exited(Exception):
    def __init__(self, kind, result):
        super(Exited, self).__init__(kind)
        self.kind, self.result = kind, result


class FakeModule(object):
    def __init__(self, params=None, check_mode=False, diff=False):
        self.params = params or {}
        self.check_mode = check_mode
        self._diff = diff
        self.commands = []

    def exit_json(self, **kw):
        raise Exited("exit", kw)

    def fail_json(self, **kw):
        raise Exited("fail", kw)

    def run_command(self, argv, **kw):
        self.commands.append((argv, kw))
        return 0, "out", ""


class FakePlan(object):
    def __init__(self, changed):
        self.changed = changed

    def actions(self):
        return ["write /etc/x"] if self.changed else []

    def diff(self):
        return [{"before": "a", "after": "b"}]


class BoxError(RuntimeError):
    pass


def _converge(module, changed=True, **kw):
    executed = []
    with pytest.raises(Exited) as info:
        ModuleRunner(module, BoxError).converge(lambda: FakePlan(changed), executed.append, **kw)
    return info.value, executed


def test_a_change_is_executed_and_reported_with_the_extra_keys():
    out, executed = _converge(FakeModule(), extra={"rendered": {"f": "x"}})
    assert out.kind == "exit" and len(executed) == 1
    assert out.result == {"changed": True, "actions": ["write /etc/x"], "rendered": {"f": "x"}}


def test_check_mode_plans_but_does_not_execute():
    out, executed = _converge(FakeModule(check_mode=True, diff=True))
    assert executed == []
    assert out.result == {"changed": True, "actions": ["write /etc/x"], "diff": [{"before": "a", "after": "b"}]}


def test_no_change_no_execute_and_no_diff_even_when_asked():
    out, executed = _converge(FakeModule(diff=True), changed=False)
    assert executed == [] and out.result == {"changed": False, "actions": []}


def test_a_callable_extra_is_read_after_execute():
    order = []

    def execute(p):
        order.append("execute")

    def extra():
        order.append("extra")
        return {"ansible_facts": {"k": 1}}
    with pytest.raises(Exited) as info:
        ModuleRunner(FakeModule(), BoxError).converge(lambda: FakePlan(True), execute, extra)
    assert order == ["execute", "extra"] and info.value.result["ansible_facts"] == {"k": 1}


def test_adapter_errors_fail_with_the_worded_message():
    def execute(p):
        raise BoxError("nft -f failed: syntax error")
    with pytest.raises(Exited) as info:
        ModuleRunner(FakeModule(), BoxError).converge(lambda: FakePlan(True), execute,
                                                      message=lambda exc: "masked: %s" % exc)
    assert info.value.kind == "fail" and info.value.result == {"msg": "masked: nft -f failed: syntax error"}


def test_other_errors_are_bugs_and_propagate():
    def plan():
        raise KeyError("x")
    with pytest.raises(KeyError):
        ModuleRunner(FakeModule(), BoxError).converge(plan, None)


def test_build_fails_with_the_field_path():
    def build(params):
        raise ValidationError("links[0].egress", "'fast' is not a rate")
    with pytest.raises(Exited) as info:
        ModuleRunner(FakeModule({"links": []}), BoxError).build(build)
    assert info.value.result == {"msg": "links[0].egress: 'fast' is not a rate", "path": "links[0].egress"}


def test_build_hands_the_params_over():
    assert ModuleRunner(FakeModule({"a": 1}), BoxError).build(lambda params, n: params["a"] + n, 2) == 3


@pytest.mark.parametrize("binary, kw", [(True, {"data": "in", "binary_data": True}), (False, {"data": "in"})])
def test_run_is_the_modules_run_command(binary, kw):
    module = FakeModule()
    assert ModuleRunner(module, BoxError, binary=binary).run(["ip", "-j", "link"], data="in") == (0, "out", "")
    assert module.commands == [(["ip", "-j", "link"], kw)]
