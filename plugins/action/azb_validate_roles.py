# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the variables of several of the collection's roles against their argument specs in one task
(docs: plugins/modules/azb_validate_roles.py).

Ansible checks a role's variables in a task of its own when the role starts; the site role runs
up to twelve roles, so a fleet paid one task per role and box. The site includes its roles with
`rolespec_validate: false` and checks them here instead, each against its own spec, as Ansible's
own check does (ansible.builtin.validate_argument_spec's way of reading the variables).
"""
from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action.validate_argument_spec import ActionModule as ValidateArgumentSpec

from ansible_collections.azblink.nfv.plugins.plugin_utils.collection_files import role_argument_spec

COLLECTION = "azblink.nfv"


class ActionModule(ValidateArgumentSpec):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ValidateArgumentSpec, self).run(tmp, task_vars)  # ActionBase's, not the builtin check's
        roles = self._task.args.get("roles")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            return dict(result, failed=True, msg="azb_validate_roles: roles: expected a list of role names, got %r" % (roles,))
        names = [role.split(".")[-1] for role in roles]  # wan or azblink.nfv.wan
        try:
            specs = [(name, role_argument_spec(name)) for name in names]
        except ValueError as exc:
            return dict(result, failed=True, msg="azb_validate_roles: roles: %s" % exc)
        # Each variable templated once, however many of the roles read it (azb_zones: most of them).
        union = {}
        for _name, spec in specs:
            union.update(spec)
        values = self.get_args_from_task_vars(union, task_vars)
        errors = []
        for name, spec in specs:
            if not spec:
                continue
            checked = ArgumentSpecValidator(spec).validate(dict((k, values[k]) for k in spec if k in values),
                                                           validate_role_argument_spec=True)
            errors += ["%s.%s: %s" % (COLLECTION, name, msg) for msg in checked.error_messages]
        result.update(changed=False, validated_roles=["%s.%s" % (COLLECTION, name) for name in names])
        if errors:
            result.update(failed=True, argument_errors=errors,
                          msg="Validation of the roles' variables failed (none of these roles has run):\n%s" % "\n".join(errors))
        else:
            result["msg"] = "The roles' variables match their argument specs"
        return result
