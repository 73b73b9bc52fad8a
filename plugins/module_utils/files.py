# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan and apply a set of files and directories in one pass (azb_files): what each entry needs
(nothing, its content, its mode or owner) is decided from one stat and one read, so a role's helper
files cost one round trip on a no-op converge instead of two per file (copy's stat, then file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import re
import shutil
import stat

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic


def _ids(entry):
    return pwd.getpwnam(entry["owner"]).pw_uid, grp.getgrnam(entry["group"]).gr_gid


def _check(i, entry):
    """Refuse an entry that cannot be applied, naming its field, before anything changes."""
    if not os.path.isabs(entry["path"]):
        raise ValueError("files[%d].path: %r is not an absolute path" % (i, entry["path"]))
    if entry["state"] == "absent":
        return
    if entry["state"] == "file" and entry.get("content") is None:
        raise ValueError("files[%d].content: required for a file (%s)" % (i, entry["path"]))
    if entry["state"] == "line":
        if entry.get("line") is None or "\n" in entry["line"]:
            raise ValueError("files[%d].line: one line is required for state=line (%s)" % (i, entry["path"]))
        try:
            re.compile(entry.get("regexp") or "")
        except re.error as exc:
            raise ValueError("files[%d].regexp: %s" % (i, exc))
    try:
        if not 0 <= int(entry["mode"], 8) <= 0o7777:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError("files[%d].mode: %r is not an octal mode such as '0644'" % (i, entry["mode"]))
    for field, db in (("owner", pwd.getpwnam), ("group", grp.getgrnam)):
        try:
            db(entry[field])
        except KeyError:
            raise ValueError("files[%d].%s: no such %s %r on the box" % (i, field, field, entry[field]))


def _read(path):
    with open(path, "rb") as fh:
        return fh.read()


def with_line(text, regexp, line):
    """``text`` with ``line`` in place of the last line matching ``regexp`` (of a line equal to
    ``line`` without one), or appended when none matches: what lineinfile does with regexp and line."""
    lines = text.splitlines()
    match = re.compile(regexp).search if regexp else (lambda candidate: candidate == line)
    hits = [n for n, candidate in enumerate(lines) if match(candidate)]
    if hits:
        lines[hits[-1]] = line
    else:
        lines.append(line)
    return "\n".join(lines) + "\n"


def _line_entry(entry):
    """A state=line entry as the file entry it amounts to (the file's text with the line in it)."""
    try:
        text = _read(entry["path"]).decode("utf-8")
    except FileNotFoundError:
        text = ""
    return dict(entry, state="file", content=with_line(text, entry.get("regexp"), entry["line"]))


def with_secret_content(entries):
    """The entries with each secret_content moved to content (masked by the module's argument spec,
    written like any content)."""
    out = []
    for i, entry in enumerate(entries):
        secret = entry.get("secret_content")
        if secret is not None:
            if entry.get("content") is not None:
                raise ValueError("files[%d]: content and secret_content are mutually exclusive (%s)" % (i, entry["path"]))
            entry = dict(entry, content=secret)
        out.append({k: v for k, v in entry.items() if k != "secret_content"})
    return out


def plan(entries):
    """-> [(entry, [actions])] for the entries that differ; actions among create, content, mode,
    owner, remove. Refuses (ValueError, with the entry's index) what cannot be applied."""
    for i, entry in enumerate(entries):
        _check(i, entry)
    out = []
    for i, entry in enumerate(entries):
        if entry["state"] == "line":
            entry = _line_entry(entry)
        path, state = entry["path"], entry["state"]
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if state == "absent":
            if st is not None:
                out.append((entry, ["remove"]))
            continue
        want_dir = state == "directory"
        if st is not None and stat.S_ISDIR(st.st_mode) != want_dir:
            raise ValueError("files[%d].path: %s exists and is not a %s" % (i, path, state))
        if st is None:
            out.append((entry, ["create"]))
            continue
        actions = []
        if not want_dir and _read(path) != entry["content"].encode("utf-8"):
            actions.append("content")
        if stat.S_IMODE(st.st_mode) != int(entry["mode"], 8):
            actions.append("mode")
        if (st.st_uid, st.st_gid) != _ids(entry):
            actions.append("owner")
        if actions:
            out.append((entry, actions))
    return out


def apply(changes):
    """Apply plan()'s changes: content atomically with its mode from the first byte."""
    for entry, actions in changes:
        path = entry["path"]
        if actions == ["remove"]:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            continue
        mode = int(entry["mode"], 8)
        if entry["state"] == "directory":
            if "create" in actions:
                os.makedirs(path, mode)
        elif "create" in actions or "content" in actions:
            write_atomic(path, entry["content"], mode)
        os.chmod(path, mode)
        os.chown(path, *_ids(entry))


def diff(changes, check_mode):
    """Before/after text for --diff: the paths and what changes on each, never the content (keys)."""
    before = "".join("%s\n" % e["path"] for e, a in changes if a != ["create"])
    after = "".join("%s: %s\n" % (e["path"], ", ".join(a)) for e, a in changes)
    return {"before": before, "after": after, "before_header": "files", "after_header":
            "files (would change)" if check_mode else "files"}
