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

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.chain import render
from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import NftTable
from ansible_collections.azblink.nfv.plugins.module_utils.wan.adapter import rule_key


class ChainError(RuntimeError):
    pass


class Adapter(NftTable):
    error = ChainError
    nft_table = render.TABLE

    def __init__(self, run, nft="nft"):
        super(Adapter, self).__init__(run)
        self.nft = nft

    # -- rules -----------------------------------------------------------------------------------
    def rules(self):
        out = self.run_ok(["ip", "-j", "-4", "rule", "show"])
        return sorted(rule_key(r) for r in json.loads(out or "[]") if int(r.get("priority", 0)) == m.RULE_PREF)

    def batch(self, lines):
        if lines:
            self.run_ok(["ip", "-force", "-batch", "-"], data="\n".join(lines) + "\n", what="ip -batch (rules, routes)")
