# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operating system a role requires, checked on the box before anything changes (azb_files'
``require_os``): os-release(5) read directly, where an assert on gathered facts cost a task of its
own on every box of a fleet."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import platform

OPTIONS = dict(
    family=dict(type="str", required=True),
    min_major_version=dict(type="int"),
    required_by=dict(type="str", default="azblink.nfv"),
)


def read():
    """The box's os-release(5) fields (Python's own reader), or {} where there is none."""
    try:
        return platform.freedesktop_os_release()
    except OSError:
        return {}


def refusal(release, require):
    """-> why this box's OS (os-release fields) does not meet ``require`` (OPTIONS), or None."""
    family = require["family"].lower()
    ids = [release.get("ID", "").lower()] + release.get("ID_LIKE", "").lower().split()
    name = release.get("PRETTY_NAME") or " ".join(v for v in (release.get("NAME"), release.get("VERSION_ID")) if v) \
        or "unknown (no os-release)"
    wanted = require["family"] + (" %d or later" % require["min_major_version"] if require.get("min_major_version") else "")
    if family not in ids:
        return "%s supports %s; this host is %s" % (require.get("required_by") or "azblink.nfv", wanted, name)
    if require.get("min_major_version"):
        major = release.get("VERSION_ID", "").split(".")[0]
        if not major.isdigit() or int(major) < require["min_major_version"]:
            return "%s supports %s; this host is %s" % (require.get("required_by") or "azblink.nfv", wanted, name)
    return None
