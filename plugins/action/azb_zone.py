# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_zone's action: the audited modules' action (plugins/plugin_utils/audited_action.py), plus
commit-confirm from the controller (``confirm``) in the same task.

The zones role once confirmed in three tasks of an include, skipped on a no-op converge: a task per
box of a fleet for nothing. Here the confirmation costs nothing unless the module armed a rollback;
then a new TCP connection from the controller must reach the box's management port before the
ruleset is confirmed (the connection the task came over is an old one, which conntrack lets through
whatever the new ruleset says).
"""
from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azblink.nfv.plugins.module_utils.common.probe import tcp_open
from ansible_collections.azblink.nfv.plugins.plugin_utils.audited_action import ActionModule as AuditedAction

# Seconds the probe waits for the box's management port (the role's wait_for had 10).
REACH_TIMEOUT = 10


class ActionModule(AuditedAction):

    def run(self, tmp=None, task_vars=None):
        args = dict(self._task.args)
        confirm = boolean(args.pop("confirm", False), strict=False)
        port = args.pop("confirm_port", None)
        if confirm and args.get("state", "present") == "present" and not args.get("management_sources"):
            return {"failed": True, "field": "management_sources",
                    "msg": "management_sources (the zones role's azb_management_sources): empty: the box would refuse "
                           "every management connection, and none could confirm the new ruleset"}
        self._task.args = args
        result = super().run(tmp, task_vars)
        if not confirm or result.get("failed") or not result.get("rollback_armed"):
            return result
        host = self._play_context.remote_addr or (task_vars or {}).get("inventory_hostname")
        port = int(port or self._play_context.port or 22)
        timeout = min(REACH_TIMEOUT, max(1, int(args.get("confirm_timeout") or REACH_TIMEOUT) // 2))
        if not tcp_open(host, port, timeout):
            result.update(failed=True, confirmed=False, msg=(
                "The new ruleset cut management access from this controller (no new connection to %s:%d "
                "within %d s); not confirming. The box restores the previous ruleset within %s s."
                % (host, port, timeout, args.get("confirm_timeout"))))
            return result
        confirmed = self._execute_module(module_name="azblink.nfv.azb_zone", module_args={"state": "confirmed"},
                                         task_vars=task_vars)
        if confirmed.get("failed"):
            result.update(failed=True, confirmed=False, msg="confirming the ruleset failed: %s" % confirmed.get("msg"))
            return result
        result["confirmed"] = True
        result["actions"] = list(result.get("actions") or []) + list(confirmed.get("actions") or [])
        return result
