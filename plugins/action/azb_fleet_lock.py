# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Take or release the box's converge lock in one round trip (docs: plugins/modules/azb_fleet_lock.py).

An action, not a module: the lock is a few shell lines (plugin_utils/fleet_lock.py) run over the
task's connection, and the holder's name, the refusal and the journal record are made here, on the
controller, where the fleet role's tasks made them with a set_fact, a debug and a fail of their own
(four tasks per box, each templated by Ansible) around the shell.
"""
from __future__ import annotations

import socket

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azblink.nfv.plugins.plugin_utils import fleet_lock
from ansible_collections.azblink.nfv.plugins.plugin_utils.box_script_action import BoxScriptAction, utc_now
from ansible_collections.azblink.nfv.plugins.plugin_utils.collection_files import collection_version, role_defaults
from ansible_collections.azblink.nfv.plugins.plugin_utils.controller_user import controller_user
from ansible_collections.azblink.nfv.plugins.plugin_utils.task_settings import resolve


class ActionModule(BoxScriptAction):
    # Taken in check mode too (BoxScriptAction supports it): a drift report read during a converge is noise.

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args, host = self.start(tmp, task_vars)
        state = args.pop("state", "acquired")
        holder = args.pop("holder", None)
        record = args.pop("record", False)
        try:
            if state not in ("acquired", "released"):
                raise ValueError("state: expected acquired or released, got %r" % (state,))
            record = boolean(record, strict=True)
            opts = resolve(args, task_vars, self._templar.template, fleet_lock.VARIABLES, role_defaults("fleet"))
        except (TypeError, ValueError) as exc:
            return dict(result, failed=True, msg="azb_fleet_lock: %s" % exc)
        if state == "acquired":
            return self._acquire(result, host, opts, task_vars)
        return self._release(result, opts, holder, record)

    def _acquire(self, result, host, opts, task_vars):
        holder = fleet_lock.holder_name(controller_user(task_vars, self._templar.template), socket.gethostname(),
                                        task_vars.get("ansible_play_name", ""), utc_now(), task_vars.get("awx_job_id"))
        res = self.run_bash(fleet_lock.acquire_script(opts["dir"], holder, opts["wait"], opts["ttl"], opts["break"]))
        failed, msg, waited = fleet_lock.acquire_outcome(host, res["rc"], res["stdout"], res["stderr"], opts["wait"], opts["ttl"])
        result.update(changed=False, failed=failed, msg=msg, holder=holder, waited_for=waited, lock_dir=opts["dir"])
        if not failed and waited:
            result["warnings"] = [msg]   # two runs met on this box: said where a person reads it
        if res["stderr"].strip() and not failed:
            result.setdefault("warnings", []).append("%s: %s" % (host, " ".join(res["stderr"].split())))
        return result

    def _release(self, result, opts, holder, record):
        if not holder:
            return dict(result, changed=False, released=False, msg="this run holds no lock on the box")
        line = None
        if record and not self._task.check_mode:
            line = fleet_lock.record_line(utc_now(), holder, collection_version())
        res = self.run_bash(fleet_lock.release_script(opts["dir"], holder, line))
        released = "released" in res["stdout"].split()
        result.update(changed=False, released=released, recorded=bool(line) and res["rc"] == 0,
                      msg="released" if released else "the lock was no longer this run's")
        if res["rc"] != 0:
            result.update(failed=True, msg=" ".join(res["stderr"].split()) or "exit %s" % res["rc"])
        return result
