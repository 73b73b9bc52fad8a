# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_chain: the nft table, ip rules, files, systemd; nothing else touches the box.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so unit tests can
drive it with a fake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.chain import render
from ansible_collections.azblink.nfv.plugins.module_utils.wan.adapter import RuleTable


class ChainError(RuntimeError):
    pass


class Adapter(RuleTable):
    error = ChainError
    nft_table = render.TABLE
    rule_prefs = (m.RULE_PREF, m.RULE_PREF + 1)
    batch_force = True

    def links(self):
        """The box's network interfaces."""
        return self.listdir("/sys/class/net")

    def link_del(self, name):
        self.run_ok(["ip", "link", "del", "dev", name])

    def vnf_units(self):
        """The azb-vnf@ instances systemd has loaded (running, failed or enabled, whether or not a
        VNF file names them still)."""
        rc, out, _err = self.systemctl("list-units", "--all", "--plain", "--no-legend", "--full",
                                       "azb-vnf@*.service")
        if rc != 0:
            return []
        # The first word names the unit (a failed one may come after a status mark).
        return sorted(set(w for line in out.splitlines() for w in line.split()[:2] if w.startswith("azb-vnf@")))

    def unit_failed(self, unit):
        return self.systemctl("is-failed", "--quiet", unit)[0] == 0
