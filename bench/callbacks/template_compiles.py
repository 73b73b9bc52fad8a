# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A callback for measuring, not a product plugin: every Jinja template Ansible compiles, with the
task it was compiled for and the CPU the compile took. ansible-core 2.19 keeps no compiled template:
each reference to a templated variable compiles it again, in a worker forked for one task on one box,
so a role variable read by five tasks is compiled five times per box. Each compile appends
"TASK<tab>CPU-s<tab>SOURCE" to $AZB_TEMPLATE_COMPILES_OUT (the source cut at 300 characters);
bench/template_compiles_report.py sums them per task and per source.

  ANSIBLE_CALLBACK_PLUGINS=bench/callbacks ANSIBLE_CALLBACKS_ENABLED=azblink.nfv.fleet_report,template_compiles \\
  AZB_TEMPLATE_COMPILES_OUT=/tmp/compiles ansible-playbook ... -l box1,localhost

It wraps an internal of ansible-core (AnsibleEnvironment.from_string): a bench tool only.
"""
from __future__ import annotations

import os
import time

from ansible._internal._templating import _jinja_bits
from ansible.executor.process import worker
from ansible.plugins.callback import CallbackBase

_from_string = _jinja_bits.AnsibleEnvironment.from_string
_run_task = worker.WorkerProcess._run
_current = {"task": "main process"}


def _compile_and_record(self, source, *args, **kwargs):
    t0 = time.process_time()
    try:
        return _from_string(self, source, *args, **kwargs)
    finally:
        cpu = time.process_time() - t0
        text = source if isinstance(source, str) else "<a parsed expression: a condition>"
        with open(os.environ["AZB_TEMPLATE_COMPILES_OUT"], "a") as fh:
            fh.write("%s\t%.5f\t%s\n" % (_current["task"], cpu, " ".join(text.split())[:300]))


def _run_naming_the_task(self):
    _current["task"] = self._task.get_name().replace("\t", " ")
    return _run_task(self)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "template_compiles"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _jinja_bits.AnsibleEnvironment.from_string = _compile_and_record
        worker.WorkerProcess._run = _run_naming_the_task
