# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An audit record of each change an azb module applied, written to the box's syslog (identifier
``azb-audit``, one JSON object per record); the observability role ships it to the SIEM as an
``audit.change`` event.

Who: the controller user comes from ``AZB_CONTROLLER_USER`` in the task's environment (a play sets
it, e.g. ``environment: {AZB_CONTROLLER_USER: "{{ lookup('env', 'USER') }}"}``); the record always
carries the login the controller used on the box and the controller's address (SSH_CLIENT).
What: the module, its actions (never values of secret options: callers pass the plan's action
lines) and the live ruleset's hash after the change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import subprocess
import syslog

IDENT = "azb-audit"


def live_ruleset_sha256():
    try:
        res = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return hashlib.sha256(res.stdout.encode()).hexdigest() if res.returncode == 0 else None


def build(module_name, actions, extra=None, environ=None):
    env = os.environ if environ is None else environ
    rec = {
        "module": module_name,
        "actions": list(actions),
        "controller_user": env.get("AZB_CONTROLLER_USER") or None,
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
