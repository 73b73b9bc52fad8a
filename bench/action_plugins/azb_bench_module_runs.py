# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""For bench/task_overhead_bench.py only, not a product plugin: runs a module `runs` times in one task
(one worker, one templating of the task), as a site action folding the roles' module calls would."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        runs = int(self._task.args.get("runs", 10))
        module = self._task.args.get("module", "ansible.builtin.ping")
        for _run in range(runs):
            res = self._execute_module(module_name=module, module_args={}, task_vars=task_vars)
            if res.get("failed") or res.get("unreachable"):
                return res
        return dict(result, changed=False, module_runs=runs)
