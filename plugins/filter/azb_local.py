# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that answer questions about the controller's own files on the controller, so a play need
not run a module on localhost (a process and a module payload each) only to find nothing to do:
``azb_stale_copies`` (which fetched copies differ from the box's, as ansible.builtin.fetch decides)
and ``azb_local_mode`` (a local path's mode, or none)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat


def _sha1(path):
    h = hashlib.sha1()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(65536), b""):
                h.update(chunk)
    except (IOError, OSError):
        return None
    return h.hexdigest()


def azb_stale_copies(remote_paths, remote_sha1, local_dir):
    """The remote paths whose copy ``local_dir/<basename>`` is missing or has another sha1 (fetch's
    own comparison), or whose sha1 on the box is not known (fetch then says why)."""
    out = []
    for path in remote_paths or []:
        want = (remote_sha1 or {}).get(path)
        if want is None or _sha1(os.path.join(local_dir, os.path.basename(path))) != want:
            out.append(path)
    return out


def azb_local_mode(path):
    """A controller path's permission bits as '0700', or None when it is missing."""
    try:
        return "%04o" % stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


class FilterModule(object):
    def filters(self):
        return {"azb_stale_copies": azb_stale_copies, "azb_local_mode": azb_local_mode}
