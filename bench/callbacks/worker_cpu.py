# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A callback for measuring, not a product plugin: charges the controller's CPU to the tasks that
spent it. Each worker (one per task and box) appends "TASK<tab>HOST<tab>CPU-s" (its own CPU and its
children's, the ssh client included) to $AZB_WORKER_CPU_OUT; at the end the main process appends
"TASK<tab>MAIN<tab>CPU-s" per task for its own share (get_vars, forks, results, callbacks).

Run a play on one box and on N, and the difference per task over N - 1 is what each task costs per
added box (bench/README.md, "Where a box's controller CPU goes"):

  ANSIBLE_CALLBACK_PLUGINS=bench/callbacks ANSIBLE_CALLBACKS_ENABLED=azblink.nfv.fleet_report,worker_cpu \
  AZB_WORKER_CPU_OUT=/tmp/one ansible-playbook ... -l box1,localhost
"""
from __future__ import annotations

import os
import resource

from ansible.executor.process import worker
from ansible.plugins.callback import CallbackBase

_run_task = worker.WorkerProcess._run


def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _record(line):
    with open(os.environ["AZB_WORKER_CPU_OUT"], "a") as fh:
        fh.write(line)


def _run_and_charge(self):
    # A forked child's counters start at zero: what it reads at its end is its own.
    try:
        return _run_task(self)
    finally:
        cpu = _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)
        _record("%s\t%s\t%.4f\n" % (self._task.get_name().replace("\t", " "), self._host.name, cpu))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "worker_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        worker.WorkerProcess._run = _run_and_charge
        self._task, self._since, self._main = "start", _cpu(resource.RUSAGE_SELF), {}

    def _switch(self, name):
        now = _cpu(resource.RUSAGE_SELF)
        self._main[self._task] = self._main.get(self._task, 0.0) + now - self._since
        self._task, self._since = name, now

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._switch(task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._switch("handler " + task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._switch("end")
        _record("".join("%s\tMAIN\t%.4f\n" % (name.replace("\t", " "), cpu) for name, cpu in self._main.items()))
