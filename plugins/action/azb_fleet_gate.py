# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health gate in one round trip and one task (docs: plugins/modules/azb_fleet_gate.py).

An action, not a module: the checks are a shell script (plugin_utils/fleet_gate.py) run over the
task's connection, and the verdict is made here, where the fleet role made it with an include, a
shell task and an assert built from Jinja expressions (three tasks per box, templated by Ansible).
"""
from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azblink.nfv.plugins.plugin_utils import fleet_gate, fleet_lock
from ansible_collections.azblink.nfv.plugins.plugin_utils.box_script_action import BoxScriptAction, utc_now
from ansible_collections.azblink.nfv.plugins.plugin_utils.collection_files import collection_version, role_defaults
from ansible_collections.azblink.nfv.plugins.plugin_utils.task_settings import resolve


class ActionModule(BoxScriptAction):
    # Reads only in check mode (the record is skipped there).

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args, host = self.start(tmp, task_vars)
        record_by = args.pop("record_converge_by", None)
        release_holder = args.pop("release_lock", None)
        try:
            firewall = args.pop("firewall", None)
            firewall = "azb_zones" in task_vars if firewall is None else boolean(firewall, strict=True)
            pool = args.pop("pool", None) or self._templar.template(task_vars.get("azb_hypervisor_pool_name", "azb"))
            opts = resolve(args, task_vars, self._templar.template, fleet_gate.VARIABLES, role_defaults("fleet"))
        except (TypeError, ValueError) as exc:
            return dict(result, failed=True, msg="azb_fleet_gate: %s" % exc)
        record = None
        if record_by and not self._task.check_mode:
            record = fleet_lock.record_command(fleet_lock.record_line(utc_now(), record_by, collection_version()))
        release = None
        if release_holder:
            lock_dir = resolve({}, task_vars, self._templar.template, {"dir": fleet_lock.VARIABLES["dir"]},
                               role_defaults("fleet"))["dir"]
            release = fleet_lock.release_script(lock_dir, release_holder)
        script = fleet_gate.gate_script(pool, firewall, opts["probe_url"], opts["probe_expect"], opts["timeout"],
                                        opts["retries"], opts["libvirt_wait"], record=record, release=release)
        res = self.run_bash(script)
        lines = res["stdout"].splitlines()
        failures = fleet_gate.gate_failures(lines, firewall, opts["probe_url"])
        result.update(changed=False, checks=[line.strip() for line in lines if ": " in line], failures=failures)
        if record:
            result["recorded"] = res["rc"] == 0
        if release:
            result["released"] = "released" in lines
        if failures:
            result.update(failed=True, msg="%s failed its health gate: %s" % (host, "; ".join(failures)))
        elif res["rc"] != 0:
            result.update(failed=True, msg="%s: %s" % (host, " ".join(res["stderr"].split()) or "the gate exited %s" % res["rc"]))
        else:
            result["msg"] = "%s passed its health gate" % host
        return result
