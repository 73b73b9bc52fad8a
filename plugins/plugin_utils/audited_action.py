# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action every azb module runs through (plugins/action/<module>.py imports it, as
ansible.netcommon's modules share theirs): Ansible's own `normal` action, with the controller's user
put in the module's environment for the audit record it writes on the box
(plugins/module_utils/audit.py).

Here rather than in a play's `environment:`, which Ansible templates for every task on every box
(modules or not) and which a user's own playbook around the roles would not carry: every change is
then named, whoever's playbook made it.
"""
from __future__ import annotations

from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.azblink.nfv.plugins.plugin_utils.controller_user import controller_user, with_controller_user


class ActionModule(NormalAction):

    def run(self, tmp=None, task_vars=None):
        user = controller_user(task_vars or {}, self._templar.template)
        self._task.environment = with_controller_user(self._task.environment, user)
        return super().run(tmp, task_vars)
