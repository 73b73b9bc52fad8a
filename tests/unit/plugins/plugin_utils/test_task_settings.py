"""An action's settings: argument, else inventory variable, else default; wrong types named."""
import pytest

from ansible_collections.azblink.nfv.plugins.plugin_utils.task_settings import resolve

DEFAULTS = {"azb_wait": 120, "azb_break": False, "azb_dir": "/run/x"}
VARIABLES = {"wait": "azb_wait", "break": "azb_break", "dir": "azb_dir"}


def template(value):
    return value.replace("{{ n }}", "7") if isinstance(value, str) else value


def test_argument_then_variable_then_default():
    assert resolve({"wait": "5"}, {"azb_wait": 9, "azb_break": "yes"}, template, VARIABLES, DEFAULTS) == \
        {"wait": 5, "break": True, "dir": "/run/x"}
    assert resolve({}, {"azb_wait": "{{ n }}"}, template, VARIABLES, DEFAULTS)["wait"] == 7


def test_wrong_types_and_unknown_arguments_are_named():
    with pytest.raises(ValueError, match="azb_wait: expected a whole number, got 'soon'"):
        resolve({}, {"azb_wait": "soon"}, template, VARIABLES, DEFAULTS)
    with pytest.raises(ValueError, match="unsupported argument"):
        resolve({"wiat": 1}, {}, template, VARIABLES, DEFAULTS)
    with pytest.raises(ValueError, match="break: expected true or false, got 'maybe'"):
        resolve({"break": "maybe"}, {}, template, VARIABLES, DEFAULTS)
