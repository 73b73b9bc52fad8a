# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_wan_policy: nft table, ip rules and routes (``ip -j``), files, systemd.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so everything
here can be driven by a fake in unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import NftTable
from ansible_collections.azblink.nfv.plugins.module_utils.wan import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.wan import render


class WanError(RuntimeError):
    pass


def rule_key(r):
    """One ``ip -j rule`` entry -> the normalised string the renderer also makes."""
    parts = [str(r["priority"])]
    if r.get("src") not in (None, "all"):
        parts += ["from", "%s/%s" % (r["src"], r.get("srclen", 32)) if "srclen" in r else r["src"]]
    if "fwmark" in r:
        parts += ["fwmark", "%s/%s" % (r["fwmark"], r.get("fwmask", "0xffffffff"))]
    action = r.get("action")
    if action and action != "lookup" and "table" not in r:
        parts.append(action)
    else:
        parts += ["lookup", str(r.get("table"))]
    if "suppress_prefixlen" in r:
        parts += ["suppress_prefixlength", str(r["suppress_prefixlen"])]
    return " ".join(parts)


def route_key(r):
    """One ``ip -j route`` entry -> a normalised string like the renderer's."""
    parts = []
    if r.get("type") not in (None, "unicast"):
        parts.append(r["type"])
    parts.append(r.get("dst", "default"))
    if r.get("gateway"):
        parts += ["via", r["gateway"]]
    if r.get("dev"):
        parts += ["dev", r["dev"]]
    if r.get("scope") == "link":
        parts += ["scope", "link"]
    if r.get("prefsrc"):
        parts += ["src", r["prefsrc"]]
    if "onlink" in (r.get("flags") or []):
        parts.append("onlink")
    return " ".join(parts)


class RuleTable(NftTable):
    """An nft table and the ip rules of a preference range (``rule_prefs``, inclusive) that go with
    it: azb_wan_policy's, and azb_chain's before them."""
    rule_prefs = (0, 0)
    batch_force = False  # -force: the rest of the batch still runs past a line that fails

    def rules(self):
        out = self.run_ok(["ip", "-j", "-4", "rule", "show"])
        lo, hi = self.rule_prefs
        return sorted(rule_key(r) for r in json.loads(out or "[]") if lo <= int(r.get("priority", 0)) <= hi)

    def batch(self, lines):
        if lines:
            argv = ["ip", "-force", "-batch", "-"] if self.batch_force else ["ip", "-batch", "-"]
            self.run_ok(argv, data="\n".join(lines) + "\n", what="ip -batch (rules, routes)")


class Adapter(RuleTable):
    error = WanError
    nft_table = render.TABLE
    rule_prefs = (m.RULE_PREF_MIN, m.RULE_PREF_MAX)

    def routes(self, table):
        rc, out, _err = self.run(["ip", "-j", "-4", "route", "show", "table", str(table)])
        if rc != 0:  # "FIB table does not exist": empty
            return []
        return sorted(route_key(r) for r in json.loads(out or "[]"))
