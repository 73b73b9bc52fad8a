# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_files' ``helpers``: a role's own programs that compare live state with the files it just
wrote and fix the difference (the router's sysctl applier, the hypervisor's storage pool helper),
run in the files' module call, so a no-op converge pays no round trip per helper.

A helper speaks one protocol: ``--check`` as its last argument means report only; every line of its
output that starts with ``changed`` is a change it made (or would make); a non-zero exit is a failure.
In check mode a helper that is one of the call's changed paths, or takes one as an argument, is not
run: it (or its input) is only about to be written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class HelperError(Exception):
    pass


def check(entries):
    """Refuse a helper without a command, naming its field, before anything changes."""
    for i, h in enumerate(entries):
        argv = h.get("argv")
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise ValueError("helpers[%d].argv: a program and its arguments, as non-empty strings" % i)


def changes_of(out):
    return [line.rstrip() for line in (out or "").splitlines() if line.startswith("changed")]


def run(entries, run_command, check_mode=False, changed_paths=()):
    """-> [(command line, [changed lines])] for the helpers that changed (or would change) something."""
    out = []
    pending = set(changed_paths) if check_mode else set()
    for i, h in enumerate(entries):
        argv = list(h["argv"])
        if pending.intersection(argv):
            continue
        if check_mode:
            argv.append("--check")
        rc, so, se = run_command(argv)
        if rc != 0:
            raise HelperError("helpers[%d]: %s exited %d: %s" % (i, " ".join(argv), rc, (se or so or "").strip()))
        lines = changes_of(so)
        if lines:
            out.append((" ".join(h["argv"]), lines))
    return out
