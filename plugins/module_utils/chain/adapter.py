# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_chain: the nft table, ip rules, files, systemd; nothing else touches the box.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so unit tests can
drive it with a fake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.azblink.nfv.plugins.module_utils.atomic import write_atomic
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.chain import render
from ansible_collections.azblink.nfv.plugins.module_utils.wan.adapter import rule_key


class ChainError(RuntimeError):
    pass


class Adapter(object):
    def __init__(self, run, nft="nft"):
        self.run = run
        self.nft = nft

    def _ok(self, argv, data=None, what=None):
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise ChainError("%s failed: %s" % (what or " ".join(argv), (err or out).strip()))
        return out

    # -- nftables --------------------------------------------------------------------------------
    def nft_live(self):
        rc, out, _err = self.run([self.nft, "list", "table", "inet", render.TABLE])
        return out if rc == 0 else ""

    def nft_canonical(self, text):
        """What nft prints for ``text``, loaded into a throwaway network namespace (proves it loads)."""
        script = "set -e; %s -f - ; %s list table inet %s" % (self.nft, self.nft, render.TABLE)
        rc, out, err = self.run(["unshare", "--net", "sh", "-c", script], data=text)
        if rc != 0:
            raise ChainError("the rendered nft table does not load: %s" % (err or out).strip())
        return out

    def nft_apply(self, text):
        self._ok([self.nft, "-f", "-"], data=text, what="nft -f (table inet %s)" % render.TABLE)

    # -- rules -----------------------------------------------------------------------------------
    def rules(self):
        out = self._ok(["ip", "-j", "-4", "rule", "show"])
        return sorted(rule_key(r) for r in json.loads(out or "[]") if int(r.get("priority", 0)) == m.RULE_PREF)

    def batch(self, lines):
        if lines:
            self._ok(["ip", "-force", "-batch", "-"], data="\n".join(lines) + "\n", what="ip -batch (rules, routes)")

    # -- files -----------------------------------------------------------------------------------
    @staticmethod
    def read(path):
        try:
            with open(path) as fh:
                return fh.read()
        except (IOError, OSError):
            return None

    @staticmethod
    def write(path, content):
        write_atomic(path, content, 0o644)

    @staticmethod
    def remove(path):
        if os.path.exists(path):
            os.unlink(path)

    @staticmethod
    def listdir(path):
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    # -- systemd ---------------------------------------------------------------------------------
    def systemctl(self, *args):
        return self.run(["systemctl"] + list(args))

    def unit_enabled(self, unit):
        return self.systemctl("is-enabled", "--quiet", unit)[0] == 0

    def unit_active(self, unit):
        return self.systemctl("is-active", "--quiet", unit)[0] == 0

    def must(self, *args):
        rc, out, err = self.systemctl(*args)
        if rc != 0:
            raise ChainError("systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))
