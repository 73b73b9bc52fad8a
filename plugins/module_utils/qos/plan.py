# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for a ``QosSite``: decided here (``plan``), done by ``execute``.

One code path for check mode and a real run. Live state is the truth: the qdiscs, classes and
filters tc shows on our devices and the nft table, compared with what the same rendered files show
once loaded in a scratch namespace; then the files and the unit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.azblink.nfv.plugins.module_utils.common.plan import FilePlan
from ansible_collections.azblink.nfv.plugins.module_utils.qos import adapter as qa
from ansible_collections.azblink.nfv.plugins.module_utils.qos import render

UNIT_PATH = "%s/%s" % (render.UNIT_DIR, render.UNIT)


class Plan(FilePlan):
    def __init__(self):
        super(Plan, self).__init__()
        self.live, self.want = "", ""
        self.apply = False
        self.stale_links = []      # (interface, ifb) no longer declared
        self.enable = False
        self.remove_table = False

    @property
    def changed(self):
        return bool(self.files_write or self.files_stale or self.apply or self.stale_links or self.enable
                    or self.remove_table)

    def actions(self):
        out = ["write %s" % p for p in sorted(self.files_write)]
        out += ["remove %s" % p for p in self.files_stale]
        out += ["clear qdiscs of %s%s" % (i, " and delete %s" % b if b else "") for i, b in self.stale_links]
        if self.apply:
            out.append("apply %s (qdiscs, classes, filters, nft table inet %s)" % (render.SCRIPT_FILE, render.TABLE))
        if self.remove_table:
            out.append("nft: delete table inet %s" % render.TABLE)
        if self.enable:
            out.append("enable %s" % render.UNIT)
        return out

    def diff(self):
        before = "".join("# %s\n%s" % (p, self.files_old.get(p) or "") for p in sorted(self.files_write))
        after = "".join("# %s\n%s" % (p, c) for p, c in sorted(self.files_write.items()))
        before += "".join("# %s\n%s" % (p, self.files_old.get(p) or "") for p in self.files_stale)
        if self.live != self.want:
            before += "# live tc and nft\n" + self.live
            after += "# live tc and nft\n" + self.want
        return {"before": before, "after": after, "before_header": "live", "after_header": "azb_qos"}


def _old_links(ad):
    text = ad.read(render.STATE_FILE)
    try:
        return json.loads(text).get("links", []) if text else []
    except ValueError:
        return []


def plan(site, kind, ad):
    p = Plan()
    files = render.files(site, kind)
    p.want_files(ad, files)
    devs = qa.devices(site)
    p.live = ad.live(devs)
    p.want = ad.canonical(site, files, devs)
    p.apply = p.live != p.want or any(f in p.files_write for f in (render.TC_FILE, render.NFT_FILE))
    declared = set(l.interface for l in site.links)
    for old in _old_links(ad):
        if old.get("interface") not in declared:
            p.stale_links.append((old["interface"], old.get("ifb")))
    p.enable = not ad.unit_enabled(render.UNIT)
    return p


def execute(p, ad):
    """Files, stale links cleared, then the one apply script (the same the unit runs at boot)."""
    p.write_files(ad)
    if UNIT_PATH in p.files_write:
        ad.must("daemon-reload")
    for interface, ifb in p.stale_links:
        ad.clear_link(interface, ifb)
    if p.apply:
        ad.apply()
    if p.enable:
        ad.must("enable", render.UNIT)


def plan_absent(ad):
    p = Plan()
    for old in _old_links(ad):
        p.stale_links.append((old["interface"], old.get("ifb")))
    p.live = ad.live([])
    p.remove_table = "table inet %s" % render.TABLE in p.live
    p.drop_files(ad, (render.NFT_FILE, render.TC_FILE, render.SCRIPT_FILE, render.STATE_FILE, UNIT_PATH))
    p.want = "## nft\n" if p.remove_table else p.live  # what the dump shows once the table is gone
    return p


def execute_absent(p, ad):
    if UNIT_PATH in p.files_stale:
        ad.systemctl("disable", render.UNIT)
    for interface, ifb in p.stale_links:
        ad.clear_link(interface, ifb)
    if p.remove_table:
        ad.nft_remove()
    for path in p.files_stale:
        ad.remove(path)
    ad.must("daemon-reload")
