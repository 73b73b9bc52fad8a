# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for a ``ChainSite`` (``plan``), and doing it (``execute``).

One code path for check mode and a real run. Live state is the truth: the nft table as nft prints
it (the steering maps, which the health service rewrites at run time, compared by structure only),
the ip rules of our preference, the files, the units' state.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.azblink.nfv.plugins.module_utils.chain import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.chain import render
from ansible_collections.azblink.nfv.plugins.module_utils.common import nft
from ansible_collections.azblink.nfv.plugins.module_utils.common.plan import FilePlan

_DYNAMIC_MAP = re.compile(r"^c\d+_[fr]\d+$")


def strip_dynamic(listing):
    """A listing without the steering maps' elements (the health service owns them) nor counters."""
    return nft.strip_dynamic(listing, _DYNAMIC_MAP.match)


class Plan(FilePlan):
    def __init__(self):
        super(Plan, self).__init__()
        self.nft_text = ""
        self.nft_live = ""
        self.nft_desired = ""
        self.nft_change = False
        self.rules_live, self.rules_del, self.rules_add = [], [], []
        self.daemon_reload = False
        self.routes = []
        self.enable, self.start, self.restart, self.stop = [], [], [], []
        self.reset = []      # units of removed VNFs systemd still holds failed
        self.links_del = []  # bridges of removed vm VNFs

    @property
    def changed(self):
        return bool(self.nft_change or self.rules_del or self.rules_add or self.files_write or self.files_stale
                    or self.enable or self.start or self.restart or self.stop or self.reset or self.links_del)

    def actions(self):
        out = []
        if self.nft_change:
            out.append("nft: replace table inet %s" % render.TABLE)
        out += ["ip rule del %s" % r for r in self.rules_del]
        out += ["ip rule add %s" % r for r in self.rules_add]
        out += ["write %s" % p for p in sorted(self.files_write)]
        out += ["remove %s" % p for p in self.files_stale]
        out += ["stop %s" % u for u in self.stop]
        out += ["reset-failed %s" % u for u in self.reset]
        out += ["ip link del %s" % n for n in self.links_del]
        out += ["enable %s" % u for u in self.enable]
        out += ["start %s" % u for u in self.start]
        out += ["restart %s" % u for u in self.restart]
        return out

    def diff(self):
        d = []
        if self.nft_change:
            d.append(nft.table_diff("inet", render.TABLE, self.nft_live, self.nft_desired))
        if self.rules_del or self.rules_add:
            keep = sorted(set(self.rules_live) - set(self.rules_del))
            d.append({"before_header": "ip rules (live)", "after_header": "ip rules (desired)",
                      "before": "\n".join(self.rules_live) + "\n",
                      "after": "\n".join(sorted(keep + self.rules_add)) + "\n"})
        for path in sorted(self.files_write):
            d.append({"before_header": path, "after_header": path,
                      "before": self.files_old.get(path) or "", "after": self.files_write[path]})
        for path in self.files_stale:
            d.append({"before_header": path, "after_header": "%s (removed)" % path,
                      "before": self.files_old.get(path) or "", "after": ""})
        return d


def _vnf_units(names):
    return ["azb-vnf@%s.service" % n for n in names]


def _stale_vnfs(ad, want_names):
    return [n[:-len(".json")] for n in ad.listdir(render.VNF_DIR)
            if n.endswith(".json") and n[:-len(".json")] not in want_names]


def plan_leftovers(p, ad, site=None):
    """What removed VNFs left besides their files: their units (stopped and disabled; a failed one
    reset, so systemd holds nothing of it) and a vm VNF's two bridges (whatever a guest still has on
    them loses its links: the chain no longer uses it). ``site`` None: every VNF goes."""
    vnfs = site.vnfs if site else []
    want_units = set(_vnf_units(v.name for v in vnfs))
    stale = set(_vnf_units(_stale_vnfs(ad, set(v.name for v in vnfs))))
    stale |= set(u for u in ad.vnf_units() if u not in want_units)
    p.stop = sorted(u for u in stale if ad.unit_active(u) or ad.unit_enabled(u))
    p.reset = sorted(u for u in stale if u not in p.stop and ad.unit_failed(u))
    want_links = set(n for v in vnfs if v.kind == "vm" for n in (v.host_in, v.host_out))
    p.links_del = sorted(n for n in ad.links() if n.startswith(m.VM_LINK_PREFIX) and n not in want_links)


def execute_leftovers(p, ad):
    """Units first (a vm VNF's stop takes its routes), then their failed state, then the bridges."""
    for unit in p.stop:
        ad.systemctl("disable", "--now", unit)
    for unit in p.stop + p.reset:
        ad.systemctl("reset-failed", unit)  # best effort: a unit that stopped cleanly has none
    for name in p.links_del:
        ad.link_del(name)


def plan(site, ad):
    p = Plan()
    # nft: the desired table as nft prints it, against the live listing (maps' elements aside).
    p.nft_text = render.nft_file(site)
    p.nft_desired = strip_dynamic(ad.nft_canonical(render.nft_table(site)))
    p.nft_live = strip_dynamic(ad.nft_live())
    p.nft_change = p.nft_desired != p.nft_live

    p.rules_live = ad.rules()
    want = render.rules(site)
    p.rules_del = [r for r in p.rules_live if r not in want]
    p.rules_add = [r for r in want if r not in p.rules_live]
    if p.rules_add or p.nft_change:
        p.routes = render.blackhole_routes(site)

    p.want_files(ad, render.files(site))
    stale = _stale_vnfs(ad, set(v.name for v in site.vnfs))
    for name in stale:
        p.drop_files(ad, ["%s/%s" % (render.VNF_DIR, path) for path in ad.listdir(render.VNF_DIR)
                          if path.startswith(name + ".")])
    plan_leftovers(p, ad, site)

    units = [render.UNIT_CHAIN, render.UNIT_HEALTH] + _vnf_units(v.name for v in site.vnfs)
    p.enable = [u for u in units if not ad.unit_enabled(u)]
    unit_files = set("%s/%s" % (render.UNIT_DIR, u) for u in (render.UNIT_CHAIN, render.UNIT_HEALTH, render.UNIT_VNF))
    for v in site.vnfs:
        inputs = set(render.vnf_inputs(site, v)) | set(["%s/%s" % (render.UNIT_DIR, render.UNIT_VNF)])
        if not ad.unit_active(v.unit):
            p.start.append(v.unit)
        elif inputs & set(p.files_write):
            p.restart.append(v.unit)
    if not ad.unit_active(render.UNIT_CHAIN):
        p.start.insert(0, render.UNIT_CHAIN)
    health_inputs = set([render.HEALTH_FILE, "%s/%s" % (render.UNIT_DIR, render.UNIT_HEALTH)])
    if not ad.unit_active(render.UNIT_HEALTH):
        p.start.append(render.UNIT_HEALTH)
    elif p.nft_change or health_inputs & set(p.files_write):
        # A new table starts with every instance down: the service probes them up again.
        p.restart.append(render.UNIT_HEALTH)
    p.daemon_reload = bool(unit_files & set(p.files_write))
    return p


def execute(p, ad):
    """Files, stale VNFs stopped, the table (one transaction), rules and routes (one batch), services."""
    p.write_files(ad)
    execute_leftovers(p, ad)
    for path in p.files_stale:
        ad.remove(path)
    if p.daemon_reload or p.stop:
        ad.must("daemon-reload")
    if p.nft_change:
        ad.nft_apply(p.nft_text)
    lines = ["rule del %s" % " ".join(render.rule_argv(r)) for r in p.rules_del]
    lines += ["rule add %s" % " ".join(render.rule_argv(r)) for r in p.rules_add]
    ad.batch(lines + p.routes)
    if p.enable:
        ad.must("enable", *p.enable)
    for unit in p.restart:
        ad.must("restart", unit)
    if p.start:
        ad.must("start", *p.start)


def plan_absent(ad):
    p = Plan()
    p.nft_live = strip_dynamic(ad.nft_live())
    p.nft_change = bool(p.nft_live)
    p.rules_live = ad.rules()
    p.rules_del = list(p.rules_live)
    plan_leftovers(p, ad)
    if ad.unit_active(render.UNIT_HEALTH) or ad.unit_enabled(render.UNIT_HEALTH):
        p.stop.insert(0, render.UNIT_HEALTH)
    owned = [render.NFT_FILE, render.BATCH_FILE, render.HEALTH_FILE] + [
        "%s/%s" % (render.UNIT_DIR, u) for u in (render.UNIT_CHAIN, render.UNIT_HEALTH, render.UNIT_VNF)]
    owned += ["%s/%s" % (render.VNF_DIR, n) for n in ad.listdir(render.VNF_DIR)]
    p.drop_files(ad, owned)
    return p


def execute_absent(p, ad):
    execute_leftovers(p, ad)
    ad.systemctl("disable", render.UNIT_CHAIN)
    if p.nft_change:
        ad.nft_apply(render.nft_removal())
    ad.batch(["rule del %s" % " ".join(render.rule_argv(r)) for r in p.rules_del])
    for path in p.files_stale:
        ad.remove(path)
    ad.must("daemon-reload")


def gathered(ad):
    """What runs: units, the health service's view, the steering rules."""
    names = [n[:-len(".json")] for n in ad.listdir(render.VNF_DIR) if n.endswith(".json")]
    state = ad.read("/run/azblink/chain-state.json")
    try:
        health = json.loads(state) if state else {}
    except ValueError:
        health = {}
    return {"vnfs": dict((n, {"active": ad.unit_active("azb-vnf@%s.service" % n),
                              "healthy": n in (health.get("alive") or [])}) for n in names),
            "health_service": ad.unit_active(render.UNIT_HEALTH),
            "transitions": (health.get("transitions") or [])[-10:],
            "rules": ad.rules(), "table_loaded": bool(ad.nft_live())}
