# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module's work needs on the box first: Debian packages, files and directories, systemd
units and helper programs, converged in one pass. azb_files is this alone; azb_zone, azb_wan_policy,
azb_vm and azb_vpn take it as their ``prerequisites`` option and converge it in their own call, before
their own work, where a role's files task of its own cost a task and a round trip per box.

``OPTIONS`` is the argument spec both share, ``converge`` the pass, ``merged`` folds its result into
the result of the module that carried it (AuditedModule does, on exit)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible_collections.azblink.nfv.plugins.module_utils import files
from ansible_collections.azblink.nfv.plugins.module_utils import helpers
from ansible_collections.azblink.nfv.plugins.module_utils import packages
from ansible_collections.azblink.nfv.plugins.module_utils import units

OPTIONS = dict(
    files=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["file", "directory", "absent", "line"], default="file"),
        content=dict(type="str"),
        secret_content=dict(type="str", no_log=True),
        line=dict(type="str"),
        regexp=dict(type="str"),
        mode=dict(type="str", default="0644"),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
    )),
    units=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        enabled=dict(type="bool"),
        state=dict(type="str", choices=["started", "stopped"]),
        restart_on=dict(type="list", elements="path", default=[]),
    )),
    helpers=dict(type="list", elements="dict", default=[], options=dict(
        argv=dict(type="list", elements="str", required=True),
    )),
    packages=dict(type="list", elements="str", default=[]),
    packages_cache_valid_time=dict(type="int", default=3600),
)

# The option of the modules that carry them (documented by the azblink.nfv.prerequisites fragment).
ARGUMENT_SPEC = dict(prerequisites=dict(type="dict", options=OPTIONS))

RESULT_KEYS = ("changed_paths", "installed_packages", "changes", "changed_units", "changed_helpers",
               "daemon_reloaded")


def check(params, path=""):
    """Refuse what cannot be applied, naming the field (``path`` prefixes it), before anything changes:
    -> the planned file changes."""
    try:
        changes = files.plan(files.with_secret_content(params["files"]))
        units.check(params["units"])
        helpers.check(params["helpers"])
        packages.check(params["packages"])
    except ValueError as exc:
        raise ValueError(path + str(exc))
    return changes


def converge(module, params, path=""):
    """Packages, then files, then units, then helpers (each step reads what the one before wrote);
    check mode reports without changing. -> the result (RESULT_KEYS, changed, diff in diff mode);
    a failure is module.fail_json, naming the field or the step."""
    try:
        changes = check(params, path)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    wanted_units = params["units"]
    apt = packages.PackagesAdapter(functools.partial(module.run_command, environ_update=packages.APT_ENV))
    try:
        missing = apt.missing(params["packages"])
        if missing and not module.check_mode:
            apt.install(missing, params["packages_cache_valid_time"])
    except packages.PackagesError as exc:
        module.fail_json(msg=str(exc))
    if changes and not module.check_mode:
        files.apply(changes)
    changed_paths = [e["path"] for e, _a in changes]
    reload_units = bool(wanted_units) and units.needs_daemon_reload(changed_paths) and not module.check_mode
    unit_changes = []
    if wanted_units:
        adapter = units.UnitsAdapter(module.run_command)
        try:
            if reload_units:
                adapter.daemon_reload()
            unit_changes = units.plan(wanted_units, adapter.states([u["name"] for u in wanted_units]), module.check_mode,
                                      changed_paths)
            if unit_changes and not module.check_mode:
                adapter.apply(unit_changes)
        except units.UnitsError as exc:
            module.fail_json(msg=str(exc), changed_paths=changed_paths)
    try:
        # In check mode a helper may need a package still to be installed: not run then.
        wanted_helpers = [] if module.check_mode and missing else params["helpers"]
        helper_changes = helpers.run(wanted_helpers, module.run_command, module.check_mode, changed_paths)
    except helpers.HelperError as exc:
        module.fail_json(msg=str(exc), changed_paths=changed_paths, changed_units=dict(unit_changes))
    result = dict(changed=bool(missing or changes or unit_changes or helper_changes), changed_paths=changed_paths,
                  installed_packages=missing,
                  changes=dict((e["path"], a) for e, a in changes),
                  changed_units=dict(unit_changes), changed_helpers=dict(helper_changes),
                  daemon_reloaded=reload_units)
    if module._diff:
        result["diff"] = _diff(changes, missing, unit_changes, helper_changes, module.check_mode)
    return result


def _diff(changes, missing, unit_changes, helper_changes, check_mode):
    out = files.diff(changes, check_mode)
    if missing:
        out["after"] = "packages: install %s\n" % ", ".join(missing) + out["after"]
    out["after"] += "".join("%s: %s\n" % (n, ", ".join(a)) for n, a in unit_changes)
    for _cmd, lines in helper_changes:
        out["after"] += "".join("%s\n" % line for line in lines)
    return out


def merged(result, pre):
    """The result of a module that converged ``pre`` (converge's result) first: changed when either
    changed, ``prerequisites`` what the pass did, its diff first in the diff list."""
    out = dict(result)
    out["prerequisites"] = dict((k, pre[k]) for k in RESULT_KEYS)
    if pre["changed"]:
        out["changed"] = True
        if "diff" in pre:
            own = result.get("diff") or []
            out["diff"] = [pre["diff"]] + (own if isinstance(own, list) else [own])
        out["actions"] = list(result.get("actions") or []) + actions(pre)
    return out


def actions(pre, prefix="prerequisites: "):
    """One line per change of the pass (for the module's actions and the audit record)."""
    return (["%sinstall %s" % (prefix, ", ".join(pre["installed_packages"]))] if pre["installed_packages"] else []) \
        + ["%s%s %s" % (prefix, path, ", ".join(what)) for path, what in sorted(pre["changes"].items())] \
        + ["%s%s %s" % (prefix, name, ", ".join(what)) for name, what in sorted(pre["changed_units"].items())] \
        + ["%s%s" % (prefix, line) for lines in pre["changed_helpers"].values() for line in lines]
