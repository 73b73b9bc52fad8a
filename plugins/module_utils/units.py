# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd units of a role's files (azb_files' ``units``): what each needs (enable, start,
stop, disable) is decided from one ``systemctl show`` of them all, so a role's units cost no round
trip of their own on a no-op converge (ansible.builtin.systemd_service costs one per unit).

``plan`` is pure (unit states in, actions out); ``UnitsAdapter`` asks and tells systemd.
The states are read as ansible.builtin.systemd_service reads them: running is ActiveState active or
activating (stopping also acts on deactivating); enabled is what ``systemctl is-enabled`` answers
with 0, except a unit only enabled through another (indirect, alias)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Commands

# `systemctl is-enabled` answers 0 for these (systemd_service treats indirect and alias as disabled).
ENABLED = ("enabled", "enabled-runtime", "static", "generated", "transient")
RUNNING = ("active", "activating")
PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState")
# A change under these makes systemd re-read its units before they are asked about.
UNIT_DIRS = ("/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/")


class UnitsError(Exception):
    pass


def check(entries):
    """Refuse an entry that names no unit or nothing to do with it, naming its field."""
    for i, u in enumerate(entries):
        if not u.get("name") or not str(u["name"]).strip():
            raise ValueError("units[%d].name: required" % i)
        if u.get("enabled") is None and u.get("state") is None and not u.get("restart_on"):
            raise ValueError("units[%d]: %s: give enabled, state or restart_on" % (i, u["name"]))
        for j, path in enumerate(u.get("restart_on") or []):
            if not str(path).startswith("/"):
                raise ValueError("units[%d].restart_on[%d]: an absolute path, got %r" % (i, j, path))


def needs_daemon_reload(changed_paths):
    return any(p.startswith(UNIT_DIRS) for p in changed_paths)


def plan(entries, states, check_mode=False, changed_paths=()):
    """-> [(name, [actions])] for the units that differ; actions among enable, disable, start, stop,
    restart. ``states`` maps each name to systemctl show's properties. A unit systemd does not know fails
    (UnitsError naming its field), except in check mode, where its file may only be about to be written.
    A running unit restarts when a path of its ``restart_on`` is among ``changed_paths`` (the call's
    own files: its configuration, read at start); one about to be started needs no restart, and one
    given only ``restart_on`` may be unknown to systemd yet (the module it serves writes it later)."""
    out = []
    for i, u in enumerate(entries):
        name = u["name"]
        st = states.get(name) or {}
        if st.get("LoadState") == "not-found":
            if u.get("enabled") is None and u.get("state") is None:
                continue  # only restarted when running: a unit not written yet is not running
            if not check_mode:
                raise UnitsError("units[%d].name: systemd knows no unit %s" % (i, name))
            st = {"ActiveState": "inactive", "UnitFileState": "disabled"}
        actions = []
        enabled = st.get("UnitFileState") in ENABLED
        if u.get("enabled") is True and not enabled:
            actions.append("enable")
        elif u.get("enabled") is False and enabled:
            actions.append("disable")
        running = st.get("ActiveState") in RUNNING
        if u.get("state") == "started" and not running:
            actions.append("start")
        elif u.get("state") == "stopped" and (running or st.get("ActiveState") == "deactivating"):
            actions.append("stop")
        if running and u.get("state") != "stopped" and set(u.get("restart_on") or ()) & set(changed_paths):
            actions.append("restart")
        if actions:
            out.append((name, actions))
    return out


def parse_show(text, names):
    """systemctl show's blocks (one per unit, in the order asked, blank-line separated) -> {name: {prop: value}}."""
    blocks, cur = [], {}
    for line in text.splitlines():
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur = {}
            continue
        key, _sep, value = line.partition("=")
        cur[key] = value
    if cur:
        blocks.append(cur)
    if len(blocks) != len(names):
        raise UnitsError("systemctl show answered %d units for %d asked (%s)" % (len(blocks), len(names), ", ".join(names)))
    return dict(zip(names, blocks))


class UnitsAdapter(Commands):
    error = UnitsError

    def states(self, names):
        if not names:
            return {}
        out = self.run_ok(["systemctl", "show", "--property=" + ",".join(PROPERTIES), "--"] + list(names))
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        return parse_show(out, list(names))

    def daemon_reload(self):
        self.must("daemon-reload")

    def apply(self, changes):
        """Enable before start, as systemd_service does (a unit started then enabled is the same box)."""
        for name, actions in changes:
            for action in ("enable", "start", "restart", "stop", "disable"):
                if action in actions:
                    self.must(action, name)
