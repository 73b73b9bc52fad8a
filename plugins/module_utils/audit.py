# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An audit record of each change an azb module applied, written to the box's syslog (identifier
``azb-audit``, one JSON object per record); the observability role ships it to the SIEM as an
``audit.change`` event.

Every module of the collection is built on ``AuditedModule``: its ``exit_json`` writes the record
whenever the module reports ``changed`` outside check mode, so no module can apply a change without
one and no module carries its own copy of this code.

Who: the controller user comes from ``AZB_CONTROLLER_USER`` in the module's environment (the modules'
action, plugins/plugin_utils/audited_action.py, sets it); the record always carries the login the
controller used on the box and the controller's address (SSH_CLIENT). What: the module, its actions (the plan's action lines, never values of secret
options), the hash of the configuration it was given (secret options left out) and the live ruleset's
hash after the change (stateless listing: counters do not move it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import subprocess
import syslog

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.azblink.nfv.plugins.module_utils import echo, prerequisites

IDENT = "azb-audit"
# Who ran the change on the controller: set in the module's environment by the modules' action.
CONTROLLER_USER_VARIABLE = "AZB_CONTROLLER_USER"


# What the ruleset hash is of: the stateless listing (counters left out), numeric (-n: nft looks up no
# service or protocol names, which was half the listing's time at 100,000 set elements). The metrics
# (roles/observability/files/azb-metrics.py) hash the same listing.
RULESET_LISTING = ["nft", "-s", "-n", "list", "ruleset"]


def live_ruleset_sha256():
    """sha256 of ``nft -s -n list ruleset``, or None without nft."""
    try:
        res = subprocess.run(RULESET_LISTING, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return hashlib.sha256(res.stdout.encode()).hexdigest() if res.returncode == 0 else None


def config_sha256(params, argument_spec):
    """sha256 of the module's options as given, secret (no_log) options left out."""
    secret = set(k for k, v in (argument_spec or {}).items() if isinstance(v, dict) and v.get("no_log"))
    public = dict((k, v) for k, v in (params or {}).items() if k not in secret)
    return hashlib.sha256(json.dumps(public, sort_keys=True, default=str).encode()).hexdigest()


def actions_of(result):
    """What changed, from a module's result: its action lines, else the headers of its diff."""
    if result.get("actions"):
        return [str(a) for a in result["actions"]]
    diffs = result.get("diff") or []
    out = []
    for d in diffs if isinstance(diffs, list) else [diffs]:
        header = isinstance(d, dict) and (d.get("after_header") or d.get("before_header"))
        if header:
            out.append("changed %s" % header)
    return out or ["changed (the module lists no actions)"]


def build(module_name, actions, extra=None, environ=None):
    env = os.environ if environ is None else environ
    rec = {
        "module": module_name,
        "actions": list(actions),
        "controller_user": env.get(CONTROLLER_USER_VARIABLE) or None,
        "remote_user": env.get("SUDO_USER") or env.get("USER") or env.get("LOGNAME") or None,
        "controller_address": (env.get("SSH_CLIENT") or "").split(" ")[0] or None,
    }
    rec.update(extra or {})
    return rec


def record(module_name, actions, extra=None):
    """Write one audit record; never fails the module (the change is already applied)."""
    rec = build(module_name, actions, extra)
    rec["ruleset_sha256"] = live_ruleset_sha256()
    try:
        syslog.openlog(IDENT, 0, syslog.LOG_USER)
        syslog.syslog(syslog.LOG_NOTICE, json.dumps(rec, sort_keys=True))
        syslog.closelog()
    except OSError:
        pass
    return rec


class AuditedModule(AnsibleModule):
    """The AnsibleModule of every azb module: a result that says ``changed`` outside check mode
    leaves an audit record before the module returns."""

    _prerequisites = None

    def converge_prerequisites(self):
        """Converge the module's ``prerequisites`` option now, before its own changes (after its
        input is checked); exit_json reports what it did with the module's own result."""
        if self.params.get("prerequisites"):
            self._prerequisites = prerequisites.converge(self, self.params["prerequisites"], "prerequisites.")

    def exit_json(self, **kwargs):
        if self._prerequisites is not None:
            kwargs = prerequisites.merged(kwargs, self._prerequisites)
        if kwargs.get("changed") and not self.check_mode:
            name = (self._name or "azb").rsplit(".", 1)[-1]
            if name.endswith(".py"):
                name = name[:-3]
            extra = {"config_sha256": config_sha256(self.params, self.argument_spec)}
            if "state" in self.params:
                extra["state"] = self.params["state"]
            record(name, actions_of(kwargs), extra)
        kwargs.setdefault("invocation", {"module_args": echo.echoed(self.params, self.no_log_values)})
        super(AuditedModule, self).exit_json(**kwargs)
