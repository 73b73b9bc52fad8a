# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who runs a task on the controller: named in every audit record a module writes on the box and in
the converge lock's holder.

The inventory or the job may name the person (`azb_controller_user`); a job AWX launched names the
AWX user who launched it (`awx_user_name`, an extra variable AWX gives every job); else the
controller's login. An execution environment runs under a uid with no passwd entry, where
getpass.getuser() raises: the login is then "unknown", never a failed task.
"""
from __future__ import annotations

import getpass
import os

from ansible_collections.azblink.nfv.plugins.module_utils.audit import CONTROLLER_USER_VARIABLE

# The variables that name the person, the first defined one wins.
NAMING_VARIABLES = ("azb_controller_user", "awx_user_name", "tower_user_name")


def controller_user(task_vars, template=lambda value: value, environ=None):
    for name in NAMING_VARIABLES:
        value = task_vars.get(name)
        if value is not None:
            value = template(value)
            if value not in (None, ""):
                return str(value)
    env = os.environ if environ is None else environ
    if env.get("USER"):
        return env["USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def with_controller_user(environment, user):
    """A task's environment (a dict once Ansible has templated it, or its raw list) with
    AZB_CONTROLLER_USER set to `user` where the task does not set it itself (the task's wins)."""
    ours = {CONTROLLER_USER_VARIABLE: user}
    if not environment:
        return ours
    if isinstance(environment, dict):
        return dict(ours, **environment)
    return [ours] + list(environment)   # Ansible merges the list in order: later entries win
