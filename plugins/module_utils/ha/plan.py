# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on one node of an HA pair: decided here (``plan``), done by ``execute``.

One code path for check mode and a real run. A keepalived configuration change is a reload (the
master keeps its addresses), never a restart; conntrackd restarts only when its own file changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.common.plan import FilePlan
from ansible_collections.azblink.nfv.plugins.module_utils.ha import render

SERVICES = ("conntrackd.service", "keepalived.service")  # conntrackd first: the transition script uses it
NAT_UNIT_PATH = "%s/%s" % (render.UNIT_DIR, render.NAT_UNIT)


class Plan(FilePlan):
    def __init__(self):
        super(Plan, self).__init__()
        self.nft_live, self.nft_want, self.nft_text = "", "", ""
        self.nft_change = False
        self.enable, self.start, self.reload, self.restart = [], [], [], []
        self.daemon_reload = False
        self.disable = []
        self.sysctls = []          # (key, value) to set live

    @property
    def changed(self):
        return bool(self.files_write or self.files_stale or self.nft_change or self.enable or self.start
                    or self.reload or self.restart or self.disable or self.sysctls)

    def actions(self):
        out = ["write %s" % p for p in sorted(self.files_write)] + ["remove %s" % p for p in self.files_stale]
        if self.nft_change:
            out.append("nft: replace table ip %s" % render.TABLE)
        out += ["sysctl %s=%s" % kv for kv in self.sysctls]
        out += ["enable %s" % u for u in self.enable] + ["start %s" % u for u in self.start]
        out += ["reload %s" % u for u in self.reload] + ["restart %s" % u for u in self.restart]
        out += ["disable --now %s" % u for u in self.disable]
        return out

    def diff(self):
        before = "".join("# %s\n%s" % (p, self.files_old.get(p) or "") for p in sorted(self.files_write))
        before += "".join("# %s\n%s" % (p, self.files_old.get(p) or "") for p in self.files_stale)
        after = "".join("# %s\n%s" % (p, c) for p, c in sorted(self.files_write.items()))
        if self.nft_change:
            before += "# nft list table ip %s\n%s" % (render.TABLE, self.nft_live)
            after += "# nft list table ip %s\n%s" % (render.TABLE, self.nft_want)
        return {"before": before, "after": after, "before_header": "live", "after_header": "azb_ha"}


def plan(node, ad):
    p = Plan()
    p.want_files(ad, render.files(node))
    p.daemon_reload = any(path.startswith(render.UNIT_DIR) for path in p.files_write)
    p.nft_text = render.nft_table(node)
    p.nft_live = ad.nft_live()
    p.nft_want = ad.nft_canonical(p.nft_text)
    p.nft_change = p.nft_live != p.nft_want
    p.sysctls = [(k, v) for k, v in render.SYSCTLS if ad.sysctl(k) != v]
    for unit in SERVICES + (render.NAT_UNIT,):
        if not ad.unit_enabled(unit):
            p.enable.append(unit)
    for unit, conf in (("conntrackd.service", render.CONNTRACKD_CONF), ("keepalived.service", render.KEEPALIVED_CONF)):
        dropin = "%s/%s.d/%s" % (render.UNIT_DIR, unit, render.DROPIN)
        if not ad.unit_active(unit):
            p.start.append(unit)
        elif unit == "keepalived.service" and (conf in p.files_write or render.NOTIFY in p.files_write
                                               or render.WAN_CHECK in p.files_write):
            p.reload.append(unit)
        elif conf in p.files_write or dropin in p.files_write:
            p.restart.append(unit)
    return p


def execute(p, ad):
    p.write_files(ad)
    if p.daemon_reload:
        ad.must("daemon-reload")
    if p.nft_change:
        ad.nft_apply(p.nft_text)
    for key, value in p.sysctls:
        ad.sysctl_set(key, value)
    if p.enable:
        ad.must("enable", *p.enable)
    for unit in p.restart:
        ad.must("restart", unit)
    for unit in p.reload:
        ad.must("reload", unit)
    for unit in SERVICES:
        if unit in p.start:
            ad.must("start", unit)


def plan_absent(ad, units):
    p = Plan()
    for unit in SERVICES + (render.NAT_UNIT,):
        if ad.unit_enabled(unit) or ad.unit_active(unit):
            p.disable.append(unit)
    paths = [render.KEEPALIVED_CONF, render.CONNTRACKD_CONF, render.NOTIFY, render.WAN_CHECK, render.NFT_FILE,
             NAT_UNIT_PATH] + ["%s/%s.d/%s" % (render.UNIT_DIR, u, render.DROPIN) for u in units] + sorted(
                 render.order_dropins())
    p.drop_files(ad, paths)
    p.nft_live = ad.nft_live()
    p.nft_change = bool(p.nft_live)
    return p


def execute_absent(p, ad):
    for unit in reversed(p.disable):
        ad.systemctl("disable", "--now", unit)
    if p.nft_change:
        ad.nft_remove()
    for path in p.files_stale:
        ad.remove(path)
    ad.must("daemon-reload")
