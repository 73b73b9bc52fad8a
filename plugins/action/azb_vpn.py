# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_vpn's action: the audited modules' action (plugins/plugin_utils/audited_action.py), plus the
controller's copies of the road-warrior exports (``fetch_exports_to``) in the same task: fetched only
where missing or different from the box's (plugins/plugin_utils/local_copies.py), never in check
mode (they are the controller's files, not the box's state), their content never in the result."""
from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.azblink.nfv.plugins.plugin_utils import local_copies
from ansible_collections.azblink.nfv.plugins.plugin_utils.audited_action import ActionModule as AuditedAction


class ActionModule(AuditedAction):

    def run(self, tmp=None, task_vars=None):
        args = dict(self._task.args)
        local_dir = args.pop("fetch_exports_to", None)
        self._task.args = args
        result = super().run(tmp, task_vars)
        if not local_dir or result.get("failed") or not result.get("exports") or self._task.check_mode:
            return result
        # A path option, as the module would read it (~ and $VARS expanded): the module never sees this one.
        local_dir = os.path.expanduser(os.path.expandvars(str(local_dir)))
        box_dir = os.path.join(local_dir, (task_vars or {}).get("inventory_hostname", ""))

        def slurp(path):
            res = self._execute_module(module_name="ansible.builtin.slurp", module_args={"src": path},
                                       task_vars=task_vars)
            if res.get("failed"):
                raise AnsibleActionFail("fetching %s to the controller failed: %s" % (path, res.get("msg")))
            return res["content"]

        try:
            written, dir_changed = local_copies.fetch_stale(slurp, result["exports"], result.get("export_sha1"), box_dir)
        except (AnsibleActionFail, OSError) as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result["fetched"] = written
        if written or dir_changed:
            result["changed"] = True
            result["actions"] = list(result.get("actions") or []) + ["fetch %s to the controller" % p for p in written]
        return result
