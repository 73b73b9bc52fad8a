# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for a ``WanSite``: decided here (``plan``), written by ``execute``.

One code path for check mode and a real run. Live state is the truth: the nft table as nft prints
it (the two maps the health service rewrites at run time compared by structure only), the ip rules
in our preference range and the routes of the WAN tables from ``ip -j``, the files, the units.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.common import nft
from ansible_collections.azblink.nfv.plugins.module_utils.common.plan import FilePlan
from ansible_collections.azblink.nfv.plugins.module_utils.wan import render


def strip_dynamic(listing):
    """A listing without the elements of the maps the health service owns, nor counters."""
    return nft.strip_dynamic(listing, lambda name: name in render.DYNAMIC_MAPS)


class Plan(FilePlan):
    def __init__(self):
        super(Plan, self).__init__()
        self.nft_text = ""
        self.nft_live = ""
        self.nft_desired = ""
        self.nft_change = False
        self.rules_live, self.rules_want = [], []
        self.rules_del, self.rules_add = [], []
        self.routes_live, self.routes_want = {}, {}
        self.route_lines = []
        self.units_changed = False
        self.health_restart = False
        self.dns_restart = []
        self.dns_stop = []
        self.enable = []
        self.start = []
        self.stock_dnsmasq_stop = False

    @property
    def changed(self):
        return bool(self.nft_change or self.rules_del or self.rules_add or self.route_lines or self.files_write
                    or self.files_stale or self.health_restart or self.dns_restart or self.dns_stop
                    or self.enable or self.start or self.stock_dnsmasq_stop)

    def actions(self):
        out = []
        if self.nft_change:
            out.append("nft: replace table inet %s" % render.TABLE)
        out += ["ip rule del %s" % r for r in self.rules_del]
        out += ["ip rule add %s" % r for r in self.rules_add]
        out += ["ip %s" % line for line in self.route_lines]
        out += ["write %s" % p for p in sorted(self.files_write)]
        out += ["remove %s" % p for p in self.files_stale]
        if render.NETWORKD_DROPIN in self.files_write:
            out.append("restart systemd-networkd.service (stop managing foreign rules and routes)")
        if self.stock_dnsmasq_stop:
            out.append("stop and disable dnsmasq.service (port 53 goes to the split-DNS resolvers)")
        out += ["enable %s" % u for u in self.enable]
        out += ["start %s" % u for u in self.start]
        if self.health_restart:
            out.append("restart %s" % render.UNIT_HEALTH)
        out += ["restart %s" % u for u in self.dns_restart]
        out += ["stop %s" % u for u in self.dns_stop]
        return out

    def diff(self):
        d = []
        if self.nft_change:
            d.append(nft.table_diff("inet", render.TABLE, self.nft_live, self.nft_desired))
        if self.rules_del or self.rules_add:
            d.append({"before_header": "ip rule (ours)", "after_header": "ip rule (ours)",
                      "before": "\n".join(self.rules_live) + "\n", "after": "\n".join(self.rules_want) + "\n"})
        if self.route_lines:
            d.append({"before_header": "WAN routing tables", "after_header": "WAN routing tables",
                      "before": fmt(self.routes_live), "after": fmt(self.routes_want)})
        for path in sorted(set(self.files_write) | set(self.files_stale)):
            d.append({"before_header": path, "after_header": path, "before": self.files_old.get(path) or "",
                      "after": self.files_write.get(path, "")})
        return d


def fmt(rt):
    return "".join("table %s: %s\n" % (t, r) for t in sorted(rt) for r in rt[t])


def _dns_units(names):
    return ["azb-dns@%s.service" % n for n in names]


def plan(site, ad):
    p = Plan()
    # nftables: compared as nft prints it, dynamic map elements aside.
    p.nft_text = render.render_nft(site)
    p.nft_desired = strip_dynamic(ad.nft_canonical(p.nft_text))
    p.nft_live = strip_dynamic(ad.nft_live())
    p.nft_change = p.nft_live != p.nft_desired

    # ip rules in our preference range, by their normalised text.
    p.rules_live = ad.rules()
    p.rules_want = sorted(render.rules(site))
    p.rules_del = [r for r in p.rules_live if r not in p.rules_want]
    p.rules_add = [r for r in p.rules_want if r not in p.rules_live]

    # The WAN tables' static routes (the health service owns the default of DHCP WANs).
    p.routes_want = render.routes(site)
    for table, want in sorted(p.routes_want.items()):
        have = ad.routes(table)
        p.routes_live[table] = have
        w = next(x for x in site.wans if x.table == table)
        for r in have:
            if r not in want and not (w.dhcp and r.startswith("default ")):
                p.route_lines.append("route del %s table %d" % (r, table))
        for r in want:
            if r not in have:
                p.route_lines.append("route replace %s table %d" % (r, table))

    # Files: everything rendered; split-DNS configurations of zones no longer named are stale.
    want_files = render.files(site)
    p.want_files(ad, want_files)
    dns_want = sorted(render.dns_instances(site))
    p.drop_files(ad, [path for path in ("%s/%s" % (render.DNS_DIR, name) for name in ad.listdir(render.DNS_DIR))
                      if path.endswith(".conf") and path not in want_files])
    p.units_changed = any(path.startswith(render.UNIT_DIR + "/") for path in p.files_write)

    # Services.
    for unit in (render.UNIT_WAN, render.UNIT_HEALTH):
        if not ad.unit_enabled(unit):
            p.enable.append(unit)
    health_inputs = (render.HEALTH_FILE, "%s/%s" % (render.UNIT_DIR, render.UNIT_HEALTH))
    if not ad.unit_active(render.UNIT_HEALTH):
        p.start.append(render.UNIT_HEALTH)
    elif p.nft_change or any(f in p.files_write for f in health_inputs):
        p.health_restart = True
    for unit, zname in zip(_dns_units(dns_want), dns_want):
        path = "%s/%s.conf" % (render.DNS_DIR, zname)
        if not ad.unit_enabled(unit):
            p.enable.append(unit)
        if not ad.unit_active(unit):
            p.start.append(unit)
        elif path in p.files_write or "%s/%s" % (render.UNIT_DIR, render.UNIT_DNS) in p.files_write:
            p.dns_restart.append(unit)
    for path in p.files_stale:
        zname = path.rsplit("/", 1)[1][:-len(".conf")]
        p.dns_stop.append("azb-dns@%s.service" % zname)
    if dns_want and (ad.unit_active("dnsmasq.service") or ad.unit_enabled("dnsmasq.service")):
        p.stock_dnsmasq_stop = True
    return p


def execute(p, ad):
    """Files, then the table (one transaction), then rules and routes (one batch), then services."""
    p.write_files(ad)
    for path in p.files_stale:
        ad.remove(path)
    if p.units_changed or p.files_stale:
        ad.must("daemon-reload")
    if render.NETWORKD_DROPIN in p.files_write:
        # networkd reads networkd.conf at start only: until then it may drop our rules and routes.
        ad.systemctl("try-restart", "systemd-networkd.service")
    if p.nft_change:
        ad.nft_apply(p.nft_text)
    lines = ["rule del %s" % " ".join(render.rule_argv(r)) for r in p.rules_del]
    lines += ["rule add %s" % " ".join(render.rule_argv(r)) for r in p.rules_add]
    lines += p.route_lines
    ad.batch(lines)
    for unit in p.dns_stop:
        ad.systemctl("disable", "--now", unit)
    if p.stock_dnsmasq_stop:
        ad.systemctl("disable", "--now", "dnsmasq.service")
    if p.enable:
        ad.must("enable", *p.enable)
    if p.health_restart:
        ad.must("restart", render.UNIT_HEALTH)
    for unit in p.dns_restart:
        ad.must("restart", unit)
    if p.start:
        ad.must("start", *p.start)


def plan_absent(ad):
    """Everything the module owns, to be removed."""
    p = Plan()
    p.nft_live = strip_dynamic(ad.nft_live())
    p.nft_change = bool(p.nft_live)
    p.rules_live = ad.rules()
    p.rules_del = list(p.rules_live)
    state = ad.read(render.HEALTH_FILE)
    tables = []
    if state:
        import json
        try:
            tables = [w["table"] for w in json.loads(state).get("wans", [])]
        except ValueError:
            tables = []
    for t in tables:
        if ad.routes(t):
            p.route_lines.append("route flush table %d" % t)
    owned = [render.NFT_FILE, render.BATCH_FILE, render.HEALTH_FILE, render.NETWORKD_DROPIN] + [
        "%s/%s" % (render.UNIT_DIR, u) for u in (render.UNIT_WAN, render.UNIT_HEALTH, render.UNIT_DNS)]
    owned += ["%s/%s" % (render.DNS_DIR, n) for n in ad.listdir(render.DNS_DIR) if n.endswith(".conf")]
    p.drop_files(ad, owned)
    p.dns_stop = ["azb-dns@%s.service" % n[:-len(".conf")] for n in ad.listdir(render.DNS_DIR) if n.endswith(".conf")]
    return p


def execute_absent(p, ad):
    ad.systemctl("disable", "--now", render.UNIT_HEALTH)
    for unit in p.dns_stop:
        ad.systemctl("disable", "--now", unit)
    ad.systemctl("disable", render.UNIT_WAN)
    if p.nft_change:
        ad.nft_apply(render.render_nft_removal())
    lines = ["rule del %s" % " ".join(render.rule_argv(r)) for r in p.rules_del] + p.route_lines
    ad.batch(lines)
    for path in p.files_stale:
        ad.remove(path)
    ad.must("daemon-reload")
