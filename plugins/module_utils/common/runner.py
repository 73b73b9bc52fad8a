# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every plan-based azb module shares: input to model (bad input fails with its field
path), plan against the live box, execute unless in check mode, and one result shape
(``changed``, ``actions``, the module's own keys, then ``diff`` when asked and something changes).

A module keeps what is its own (its states, its rendered artifacts, its extra keys); the plan
objects it hands over need ``changed``, ``actions()`` and ``diff()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError


class ModuleRunner(object):
    """``module`` is the AnsibleModule; ``errors`` the adapter's exception class(es): those become
    ``fail_json(msg=...)``, anything else is a bug and keeps its traceback."""

    def __init__(self, module, errors, binary=True):
        self.module = module
        self.errors = errors
        self.binary = binary

    def run(self, argv, data=None):
        """The adapters' ``run(argv, data=None) -> (rc, out, err)``."""
        if self.binary:
            return self.module.run_command(argv, data=data, binary_data=True)
        return self.module.run_command(argv, data=data)

    def build(self, build, *args):
        """``build(params, *args)``, or fail with the field path of the bad input."""
        try:
            return build(self.module.params, *args)
        except ValidationError as exc:
            self.module.fail_json(msg=str(exc), path=exc.path)

    def converge(self, plan, execute, extra=None, message=str):
        """``plan()`` -> p; ``execute(p)`` when it changes something and this is not check mode;
        exit with the result. ``extra`` is a dict, or a function giving it once execute has run (for
        keys that report the box as it is afterwards). ``message(exc)`` words an adapter error."""
        try:
            p = plan()
            if p.changed and not self.module.check_mode:
                execute(p)
        except self.errors as exc:
            self.module.fail_json(msg=message(exc))
        self.exit(p, extra)

    def exit(self, p, extra=None):
        result = dict(changed=p.changed, actions=p.actions())
        result.update((extra() if callable(extra) else extra) or {})
        if self.module._diff and p.changed:
            result["diff"] = p.diff()
        self.module.exit_json(**result)
