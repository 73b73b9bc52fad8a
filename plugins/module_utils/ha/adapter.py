# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_ha: files, the nft table (live and as a scratch namespace prints it),
systemd. ``run(argv, data=None) -> (rc, out, err)`` is injected, so a fake drives it in unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.azblink.nfv.plugins.module_utils import atomic
from ansible_collections.azblink.nfv.plugins.module_utils.ha import render


class HaError(RuntimeError):
    pass


class Adapter(object):
    def __init__(self, run):
        self.run = run

    def _ok(self, argv, data=None, what=None):
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise HaError("%s failed: %s" % (what or " ".join(argv), (err or out).strip()))
        return out

    def nft_live(self):
        rc, out, _err = self.run(["nft", "list", "table", "ip", render.TABLE])
        return out if rc == 0 else ""

    def nft_canonical(self, text):
        script = "set -e; nft -f - ; nft list table ip %s" % render.TABLE
        rc, out, err = self.run(["unshare", "--net", "sh", "-c", script], data=text)
        if rc != 0:
            raise HaError("the rendered nft table does not load: %s" % (err or out).strip())
        return out

    def nft_apply(self, text):
        self._ok(["nft", "-f", "-"], data=text, what="nft -f (table ip %s)" % render.TABLE)

    def nft_remove(self):
        self.run(["nft", "delete", "table", "ip", render.TABLE])

    def sysctl(self, key):
        return (self.read("/proc/sys/" + key.replace(".", "/")) or "").strip()

    def sysctl_set(self, key, value):
        self._ok(["sysctl", "-q", "-w", "%s=%s" % (key, value)])

    @staticmethod
    def read(path):
        try:
            with open(path) as fh:
                return fh.read()
        except (IOError, OSError):
            return None

    @staticmethod
    def write(path, content):
        mode = 0o755 if path.startswith("/usr/local/lib/") else 0o644
        atomic.write_atomic(path, content, mode)

    @staticmethod
    def remove(path):
        if os.path.exists(path):
            os.unlink(path)

    def systemctl(self, *args):
        return self.run(["systemctl"] + list(args))

    def unit_enabled(self, unit):
        return self.systemctl("is-enabled", "--quiet", unit)[0] == 0

    def unit_active(self, unit):
        return self.systemctl("is-active", "--quiet", unit)[0] == 0

    def must(self, *args):
        rc, out, err = self.systemctl(*args)
        if rc != 0:
            raise HaError("systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))
