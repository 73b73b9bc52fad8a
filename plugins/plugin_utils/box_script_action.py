# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's actions that run a bash script on the box over the task's
connection (no module payload, one round trip) and decide on the controller."""
from __future__ import annotations

import datetime
import shlex

from ansible.plugins.action import ActionBase


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BoxScriptAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def start(self, tmp, task_vars):
        """-> (task_vars, result, a copy of the task's arguments, the box's inventory name)."""
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        return task_vars, result, dict(self._task.args), task_vars.get("inventory_hostname", "?")

    def run_bash(self, script):
        """The script's {rc, stdout, stderr}, run by bash on the box (with become where the task has it)."""
        return self._low_level_execute_command("/bin/bash -c %s" % shlex.quote(script), sudoable=True)
