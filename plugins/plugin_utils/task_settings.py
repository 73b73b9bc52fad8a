# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An action's settings: the task's argument, else the inventory's variable, else the default.

So a playbook calls the fleet actions with no arguments and the inventory's azb_fleet_* variables
still apply, as they did when every task passed them through Jinja (one template per argument, task
and box, which the fleet's controller CPU paid for).
"""
from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean


def _typed(name, value, default):
    if isinstance(default, bool):
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise ValueError("%s: expected true or false, got %r" % (name, value))
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError("%s: expected a whole number, got %r" % (name, value))
    return "" if value is None else str(value)


def resolve(args, task_vars, template, defaults, variables):
    """{setting: value} for every setting in `defaults`; `template` renders an inventory value.
    Raises ValueError naming the argument or variable when a value has the wrong type."""
    unknown = sorted(set(args) - set(defaults))
    if unknown:
        raise ValueError("unsupported argument(s): %s (supported: %s)" % (", ".join(unknown), ", ".join(sorted(defaults))))
    out = {}
    for key, default in defaults.items():
        if key in args and args[key] is not None:
            out[key] = _typed(key, args[key], default)
        elif variables.get(key) in task_vars:
            out[key] = _typed(variables[key], template(task_vars[variables[key]]), default)
        else:
            out[key] = default
    return out
