# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_ha: files, the nft table (live and as a scratch namespace prints it),
systemd. ``run(argv, data=None) -> (rc, out, err)`` is injected, so a fake drives it in unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import NftTable
from ansible_collections.azblink.nfv.plugins.module_utils.ha import render


class HaError(RuntimeError):
    pass


class Adapter(NftTable):
    error = HaError
    nft_family = "ip"
    nft_table = render.TABLE

    def nft_remove(self):
        self.run(["nft", "delete", "table", "ip", render.TABLE])

    def sysctl(self, key):
        return (self.read("/proc/sys/" + key.replace(".", "/")) or "").strip()

    def sysctl_set(self, key, value):
        self.run_ok(["sysctl", "-q", "-w", "%s=%s" % (key, value)])

    def file_mode(self, path):
        return 0o755 if path.startswith("/usr/local/lib/") else 0o644
