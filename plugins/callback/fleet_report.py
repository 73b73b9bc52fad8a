# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_report
type: aggregate
short_description: Writes a fleet report (JSON and Markdown) of the plays that ask for one
description:
  - Records, for the plays that set the play variable C(azb_fleet_report) (the collection's rollout,
    drift and status playbooks do), what happened on each box - changed, failed, unreachable, never
    reached, per serial batch - and in check mode the changes found, per box and module, with their
    diffs (never the diff of a C(no_log) task).
  - Writes C(<report_dir>/<azb_fleet_report>.json) and C(.md) when the next play starts and at the
    end of the run, so a later play of the same playbook can read them (drift.yml fails on drift).
  - Facts set by a task with the task variable C(azb_fleet_report_facts) go into the report as the
    box's facts (status.yml uses this).
  - When the playbook starts, it loads the collection's filter plugins in the controller's main
    process, so the worker Ansible forks for each task and box inherits them (ansible-core imports
    every filter file of a collection in each worker that looks one up).
  - With O(compile_cache), Jinja's compiled templates are kept in the main process, which compiles
    each task's templates (arguments, variables, conditions, its role's defaults and variables, the
    play's and the first box's inventory variables) before the task's workers are forked, as ansible-core
    2.19 compiles every template again in every worker, for every task and box.
requirements:
  - enabled in ansible.cfg (C(callbacks_enabled = azblink.nfv.fleet_report)) or ANSIBLE_CALLBACKS_ENABLED
options:
  report_dir:
    description: Directory the reports are written to.
    type: path
    default: ./azb-reports
    env:
      - name: AZB_REPORT_DIR
    ini:
      - section: azblink_fleet_report
        key: report_dir
  compile_cache:
    description:
      - Keep compiled Jinja templates in the controller's main process for the workers it forks
        (plugins/plugin_utils/template_compile_cache.py; it wraps internals of ansible-core 2.19 and
        stays out of the way where they differ).
    type: bool
    default: true
    env:
      - name: AZB_COMPILE_CACHE
    ini:
      - section: azblink_fleet_report
        key: compile_cache
"""

import json
import os

from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible_collections.azblink.nfv.plugins.plugin_utils import template_compile_cache
from ansible_collections.azblink.nfv.plugins.plugin_utils.filter_preload import preload_collection_filters
from ansible_collections.azblink.nfv.plugins.plugin_utils.fleet_report import FleetReport, markdown


def _task(result):
    task = result._task
    role = task._role.get_name(include_role_fqcn=False) if task._role else None
    return {"task": task.get_name(), "role": role, "action": task.action}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "azblink.nfv.fleet_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reports = {}       # report name -> FleetReport
        self._current = None     # the report of the running play, or None
        self._playbook = None
        self._compile_cache = False

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.basename(playbook._file_name)
        # In the main process, before Ansible forks its first worker: every worker inherits the
        # collection's filters instead of importing them all again (plugin_utils/filter_preload.py).
        preload_collection_filters()
        self._compile_cache = bool(self.get_option("compile_cache")) and template_compile_cache.install()

    def v2_playbook_on_play_start(self, play):
        self._flush()
        if self._compile_cache:
            template_compile_cache.precompile_play(play)
        name = (play.vars or {}).get("azb_fleet_report")
        if not name:
            self._current = None
            return
        check = bool(context.CLIARGS.get("check")) or bool(play.check_mode)
        self._current = self._reports.setdefault(name, FleetReport(self._playbook, check))
        inventory = play.get_variable_manager()._inventory
        # In the play's own order (order: sorted), not the inventory's: AWX's inventory file and
        # ansible-playbook's may list the same hosts in another order.
        order = getattr(play, "order", None)
        batch = [h.name for h in inventory.get_hosts(play.hosts, order=order)]
        every = [h.name for h in inventory.get_hosts(play.hosts, ignore_restrictions=True, order=order)]
        self._current.target(batch, every)

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._compile_cache:   # in the main process, before the task's workers are forked
            template_compile_cache.precompile_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _ok(self, result):
        if self._current is None:
            return
        res = result._result
        facts = res.get("ansible_facts", {}) if result._task.vars.get("azb_fleet_report_facts") else None
        no_log = bool(result._task.no_log) or bool(res.get("_ansible_no_log"))
        diff = res.get("diff")
        if diff is None and "results" in res:
            # A loop: the diffs are in its changed items.
            diff = []
            for item in res["results"]:
                if isinstance(item, dict) and item.get("changed") and item.get("diff"):
                    diff += item["diff"] if isinstance(item["diff"], list) else [item["diff"]]
        self._current.ok(result._host.get_name(), _task(result), res.get("changed", False), diff, no_log, facts)

    def v2_runner_on_ok(self, result):
        self._ok(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        # A rescue: that fails the box again after releasing its lock only repeats the failure.
        if self._current is None or ignore_errors or result._task.vars.get("azb_fleet_reraised"):
            return
        msg = result._result.get("msg") or result._result.get("stderr") or "failed"
        if result._task.no_log or result._result.get("_ansible_no_log"):
            msg = "failed (details hidden: the task is no_log)"
        stop = bool(result._task.vars.get("azb_fleet_stop"))
        self._current.failed(result._host.get_name(), _task(result), str(msg).strip(), stop=stop)

    def v2_runner_on_unreachable(self, result):
        if self._current is not None:
            self._current.unreachable(result._host.get_name(), _task(result),
                                      str(result._result.get("msg", "unreachable")).strip())

    def v2_runner_item_on_ok(self, result):
        pass  # the loop's final result (v2_runner_on_ok) carries changed and the items' diffs

    def v2_playbook_on_stats(self, stats):
        self._flush()
        for name, rep in self._reports.items():
            data = rep.as_dict()
            self._display.display("fleet report %s: %s" % (name, ", ".join(
                "%s %s" % (k, " ".join(v)) for k, v in sorted(data["summary"].items()))))

    def _flush(self):
        if not self._reports:
            return
        out = self.get_option("report_dir")
        os.makedirs(out, exist_ok=True)
        for name, rep in self._reports.items():
            data = rep.as_dict()
            with open(os.path.join(out, name + ".json"), "w") as fh:
                json.dump(data, fh, indent=2, sort_keys=False, default=str)
            with open(os.path.join(out, name + ".md"), "w") as fh:
                fh.write(markdown(data))
