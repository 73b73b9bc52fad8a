# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Debian packages a role's files need (azb_files' ``packages``): which are missing is asked
of dpkg's database in the same call as the files, so a no-op converge pays no task of its own for
them (an apt task, even skipped, cost a task per role and box); the missing ones are installed
with apt-get, the package cache refreshed first when it is older than ``cache_valid_time``.

``missing`` is pure; ``PackagesAdapter`` asks dpkg and runs apt-get."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import time

from ansible_collections.azblink.nfv.plugins.module_utils.dpkg import DPKG_QUERY, installed_packages
from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Commands

# Debian policy's package name (5.6.1), optionally with an architecture qualifier.
NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+(:[a-z0-9-]+)?$")
# apt's own record of its last successful update, else the cache it builds from the lists.
CACHE_STAMPS = ("/var/lib/apt/periodic/update-success-stamp", "/var/cache/apt/pkgcache.bin")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}
APT_INSTALL = ["apt-get", "install", "--yes", "--quiet", "--no-install-recommends",
               # a configuration file the role writes itself is kept as it is, not asked about
               "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
               # another apt run (unattended-upgrades) holds the lock for a while: wait for it
               "-o", "DPkg::Lock::Timeout=300"]
# A refresh that hangs (a mirror or proxy that stops answering mid-transfer; seen with 20 boxes behind
# one apt-cacher-ng) would hold the converge, and the box's converge lock, for ever: each try is
# bounded, and a refresh is tried again once (it is idempotent) before the converge fails saying so.
UPDATE_SECONDS = 180
UPDATE_TRIES = 2
APT_UPDATE = ["timeout", "--kill-after=10", str(UPDATE_SECONDS), "apt-get", "update", "--quiet",
              "-o", "Acquire::Retries=2", "-o", "DPkg::Lock::Timeout=300"]
TIMED_OUT = (124, 137)   # timeout(1): the command ran out of time (137: killed after --kill-after)


class PackagesError(Exception):
    pass


def check(names):
    """Refuse a name that is not a Debian package name, naming its field."""
    for i, name in enumerate(names):
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError("packages[%d]: not a Debian package name: %r" % (i, name))


def missing(names, dpkg_output):
    """The names, in order and once each, that dpkg-query's 'STATUS NAME' lines do not say are installed."""
    have = set(installed_packages(dpkg_output))
    out = []
    for name in names:
        if name.split(":")[0] not in have and name not in out:
            out.append(name)
    return out


def cache_is_fresh(mtimes, valid_seconds, now):
    """Whether the newest of the cache stamps' mtimes (None: missing) is younger than valid_seconds."""
    known = [m for m in mtimes if m is not None]
    return bool(known) and now - max(known) < valid_seconds


class PackagesAdapter(Commands):
    error = PackagesError

    def missing(self, names):
        if not names:
            return []
        # rc 1 (some name unknown to dpkg) still lists the known ones
        _rc, out, _err = self.run(DPKG_QUERY + ["--"] + list(names))
        return missing(names, out or "")

    @staticmethod
    def _mtime(path):
        try:
            return os.stat(path).st_mtime
        except OSError:
            return None

    def install(self, names, cache_valid_time):
        if not cache_is_fresh([self._mtime(p) for p in CACHE_STAMPS], cache_valid_time, time.time()):
            self.update()
        self.run_ok(APT_INSTALL + ["--"] + list(names), what="apt-get install " + " ".join(names))

    def update(self):
        """Refresh the package lists, each try bounded in time, a timed-out try repeated once."""
        for _try in range(UPDATE_TRIES):
            rc, out, err = self.run(APT_UPDATE)
            if rc == 0:
                return
            if rc not in TIMED_OUT:
                raise PackagesError("apt-get update failed: %s" % (err or out or "").strip())
        raise PackagesError("apt-get update did not finish within %d s, %d times (the mirror or apt proxy stopped "
                            "answering)" % (UPDATE_SECONDS, UPDATE_TRIES))
