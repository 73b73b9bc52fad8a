# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An action's settings: the task's argument, else the inventory's variable, else the role's default.

So a playbook calls the fleet actions with no arguments and the inventory's azb_fleet_* variables
still apply, as they did when every task passed them through Jinja (one template per argument, task
and box, which the fleet's controller CPU paid for). The defaults are the fleet role's own file:
one source whether the action runs through the role's task files or directly.
"""
from __future__ import annotations

from ansible.module_utils.common.validation import check_type_bool, check_type_int, check_type_str

# Ansible's own argument checkers, by the type of the default.
_CHECKS = ((bool, check_type_bool, "true or false"), (int, check_type_int, "a whole number"),
           (str, check_type_str, "a string"))


def _typed(name, value, default):
    for kind, check, said in _CHECKS:
        if isinstance(default, kind):
            try:
                return check(value)
            except TypeError:
                raise ValueError("%s: expected %s, got %r" % (name, said, value))
    return value


def resolve(args, task_vars, template, variables, defaults):
    """{setting: value} for every setting in `variables` (setting -> variable name); `defaults` maps
    those variable names to their defaults; `template` renders an inventory value. Raises ValueError
    naming the argument or variable when a value has the wrong type."""
    unknown = sorted(set(args) - set(variables))
    if unknown:
        raise ValueError("unsupported argument(s): %s (supported: %s)" % (", ".join(unknown), ", ".join(sorted(variables))))
    out = {}
    for key, var in variables.items():
        default = defaults[var]
        if key in args and args[key] is not None:
            out[key] = _typed(key, args[key], default)
        elif var in task_vars:
            out[key] = _typed(var, template(task_vars[var]), default)
        else:
            out[key] = default
    return out
