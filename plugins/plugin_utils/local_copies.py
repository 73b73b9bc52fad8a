# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copies of a box's files kept on the controller (azb_vpn's road-warrior exports): which are stale,
and fetching those in the module's own task (plugins/action/azb_vpn.py).

The vpn role once fetched them in an include of three tasks (a directory, fetch, a chmod), guarded
by a condition that cost a skipped task on every box of a fleet even when nothing was to fetch.
"""
from __future__ import annotations

import base64
import os
import stat

from ansible.utils.hashing import checksum

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def stale_copies(remote_paths, remote_sha1, local_dir):
    """The remote paths whose copy ``local_dir/<basename>`` is missing or has another sha1 (fetch's
    own comparison), or whose sha1 on the box is not known."""
    out = []
    for path in remote_paths or []:
        want = (remote_sha1 or {}).get(path)
        # fetch's own comparison: the sha1 of the copy (None when it is missing)
        if want is None or checksum(os.path.join(local_dir, os.path.basename(path))) != want:
            out.append(path)
    return out


def local_mode(path):
    """A controller path's permission bits as '0700', or None when it is missing."""
    try:
        return "%04o" % stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def private_dir(path):
    """Make ``path`` a directory only its owner reads; -> whether it had to change."""
    if local_mode(path) == "%04o" % PRIVATE_DIR_MODE:
        return False
    os.makedirs(path, PRIVATE_DIR_MODE, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)
    return True


def fetch_stale(slurp, remote_paths, remote_sha1, local_dir):
    """Fetch into ``local_dir`` (made 0700) the remote files whose copy is stale, each 0600.
    ``slurp(path)`` -> the file's content in base64 (ansible.builtin.slurp's), or raises.
    -> (local paths written, whether the directory changed)."""
    stale = stale_copies(remote_paths, remote_sha1, local_dir)
    if not stale and local_mode(local_dir) == "%04o" % PRIVATE_DIR_MODE:
        return [], False
    dir_changed = private_dir(local_dir)
    written = []
    for path in stale:
        local = os.path.join(local_dir, os.path.basename(path))
        write_atomic(local, base64.b64decode(slurp(path)), PRIVATE_FILE_MODE, make_dirs=False)
        written.append(local)
    return written, dir_changed
