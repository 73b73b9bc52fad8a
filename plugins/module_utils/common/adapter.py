# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every azb adapter does the same way on the box: files (written whole or not at all),
commands that must succeed, systemd units, and the one nft table a module owns.

An adapter subclasses ``Commands`` (or only ``Files``), names its exception class in ``error``
and keeps what is its own. ``run(argv, data=None) -> (rc, out, err)`` is
AnsibleModule.run_command (see ``common.runner``) or a test's fake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import time

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic


class Files(object):
    @staticmethod
    def read(path, binary=False):
        """The file's content, or None when it is missing or unreadable (as text: undecodable)."""
        try:
            with open(path, "rb" if binary else "r") as fh:
                return fh.read()
        except (IOError, OSError, UnicodeDecodeError):
            return None

    def file_mode(self, path):
        """The mode ``write`` gives ``path`` when the caller names none (scripts override it)."""
        return 0o644

    def write(self, path, content, mode=None):
        write_atomic(path, content, self.file_mode(path) if mode is None else mode)

    @staticmethod
    def remove(path):
        """A file, link or directory, if it is there."""
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)

    @staticmethod
    def listdir(path):
        """Sorted names in ``path``; none when it is missing."""
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []


# systemctl verbs that run a unit's process, and systemd's word for a process it could not place in
# its cgroup (EXIT_CGROUP, 219), as the unit's journal says it.
STARTS = ("start", "restart", "try-restart", "reload-or-restart")
CGROUP_SETUP_FAILED = "status=219/CGROUP"


class Commands(Files):
    error = RuntimeError

    def __init__(self, run):
        self.run = run

    def run_ok(self, argv, data=None, what=None):
        """``argv``'s output; when it fails, ``error`` naming ``what`` (default: the command)."""
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise self.error("%s failed: %s" % (what or " ".join(argv), (err or out or "").strip()))
        return out

    # -- systemd ---------------------------------------------------------------------------------
    def systemctl(self, *args):
        """(rc, out, err): for questions and best-effort steps; ``must`` for steps that must work."""
        return self.run(["systemctl"] + list(args))

    def must(self, *args):
        try:
            self.run_ok(["systemctl"] + list(args))
        except self.error as exc:
            said = self.failed_units_said()
            if args and args[0] in STARTS and CGROUP_SETUP_FAILED in said:
                # systemd could not put the unit's process in its cgroup (exit status 219), before
                # the unit ran anything: seen on 2 of 20 lab appliances converging at once under a
                # load of 35. Transient; once more, after a second, from a clean failed state.
                self.pause(1)
                self.systemctl("reset-failed")
                try:
                    self.run_ok(["systemctl"] + list(args))
                    return
                except self.error as again:
                    raise self.error("%s (after one more try: systemd could not set up its cgroup)%s"
                                     % (again, self.failed_units_said()))
            raise self.error("%s%s" % (exc, said))

    @staticmethod
    def pause(seconds):
        time.sleep(seconds)

    def failed_units_said(self, units=3, lines=6):
        """The failed units' last journal lines: systemd's own error only says "see journalctl", and
        a box that broke in a run is often gone before anyone reads its journal."""
        rc, out, _err = self.systemctl("list-units", "--failed", "--plain", "--no-legend", "--no-pager")
        names = [line.split()[0] for line in out.splitlines() if line.strip()][:units] if rc == 0 else []
        said = []
        for name in names:
            _rc, log, _err = self.run(["journalctl", "--no-pager", "-o", "cat", "-n", str(lines), "-u", name])
            said.append("%s: %s" % (name, " / ".join(line.strip() for line in log.splitlines() if line.strip())))
        return " (failed units: %s)" % "; ".join(said) if said else ""

    def unit_enabled(self, unit):
        return self.systemctl("is-enabled", "--quiet", unit)[0] == 0

    def unit_active(self, unit):
        return self.systemctl("is-active", "--quiet", unit)[0] == 0


class NftTable(Commands):
    """Commands of an adapter that owns one nft table: ``nft_family`` and ``nft_table`` name it,
    ``nft`` is the binary."""
    nft_family = "inet"
    nft_table = None

    def __init__(self, run, nft="nft"):
        super(NftTable, self).__init__(run)
        self.nft = nft

    def nft_live(self):
        """The table as nft prints it; empty when it is not loaded."""
        rc, out, _err = self.run([self.nft, "list", "table", self.nft_family, self.nft_table])
        return out if rc == 0 else ""

    def nft_canonical(self, text):
        """What nft prints for ``text``, loaded into a throwaway network namespace (proves it loads)."""
        script = "set -e; %s -f - ; %s list table %s %s" % (self.nft, self.nft, self.nft_family, self.nft_table)
        rc, out, err = self.run(["unshare", "--net", "sh", "-c", script], data=text)
        if rc != 0:
            raise self.error("the rendered nft table does not load: %s" % (err or out).strip())
        return out

    def nft_apply(self, text):
        self.run_ok([self.nft, "-f", "-"], data=text, what="nft -f (table %s %s)" % (self.nft_family, self.nft_table))
