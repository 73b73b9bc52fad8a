# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for a routing intent: decided by ``plan``, done by ``execute``.

One code path for check mode and a real run. Live state is the truth: besides the two files, the
running daemons are compared with the rendered configuration by ``frr-reload.py --test`` (FRR's own
differ), so a change made with vtysh behind our back is seen and undone. The candidate passes FRR's
parser (``vtysh --dryrun``) before anything is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.routing import render
from ansible_collections.azblink.nfv.plugins.module_utils.routing.adapter import CONF, DAEMONS


class Plan(object):
    def __init__(self, conf_old, conf_new, daemons_old, daemons_new, active, enabled):
        self.conf_old, self.conf_new = conf_old, conf_new
        self.daemons_old, self.daemons_new = daemons_old, daemons_new
        self.active, self.enabled = active, enabled
        self.live_delete, self.live_add = [], []

    @property
    def conf_change(self):
        return self.conf_old != self.conf_new

    @property
    def daemons_change(self):
        return self.daemons_old != self.daemons_new

    @property
    def changed(self):
        return bool(self.conf_change or self.daemons_change or self.live_delete or self.live_add
                    or not self.active or not self.enabled)

    def actions(self):
        out = []
        if self.daemons_change:
            out.append("write %s" % DAEMONS)
        if self.conf_change:
            out.append("write %s" % CONF)
        if not self.active or self.daemons_change:
            out.append("(re)start frr with its daemons")
        elif self.conf_change or self.live_delete or self.live_add:
            out.append("frr-reload.py --reload: -%d +%d lines"
                       % (len(self.live_delete), len(self.live_add)))
        if not self.enabled:
            out.append("enable frr")
        return out

    def diff(self):
        """What changes on the box, keys masked."""
        out = []
        if self.daemons_change:
            out.append({"before_header": DAEMONS, "after_header": DAEMONS,
                        "before": self.daemons_old or "", "after": self.daemons_new})
        if self.conf_change:
            out.append({"before_header": CONF, "after_header": CONF,
                        "before": render.mask(self.conf_old or ""), "after": render.mask(self.conf_new)})
        if self.live_delete or self.live_add:
            out.append({"before_header": "running daemons (lines frr-reload.py removes)",
                        "after_header": "running daemons (lines frr-reload.py adds)",
                        "before": render.mask("\n".join(self.live_delete) + "\n"),
                        "after": render.mask("\n".join(self.live_add) + "\n")})
        return out


def plan(ad, conf_new, daemons_new, want_diff=True):
    ad.check(conf_new)
    active, enabled = ad.unit_state()
    p = Plan(ad.read(CONF), conf_new, ad.read(DAEMONS), daemons_new, active, enabled)
    # The running daemons against the desired text (what frr-reload.py would do): the only way to
    # see drift when the file is unchanged. When the file changes, the reload is due anyway and the
    # lines are only worth their cost (one more frr-reload.py pass) for a diff.
    if active and not p.daemons_change and (want_diff or not p.conf_change):
        p.live_delete, p.live_add = ad.live_delta(conf_new)
    return p


def execute(p, ad):
    if p.daemons_change:
        ad.write(DAEMONS, p.daemons_new, 0o640)
    if p.conf_change:
        ad.write(CONF, p.conf_new, 0o640)
    if not p.active or p.daemons_change:
        # Only on the first apply and on removal: the daemon set is constant in between.
        ad.start()
    elif p.conf_change or p.live_delete or p.live_add:
        ad.reload_config()
    if not p.enabled:
        ad.enable()


EMPTY = {"router_id": None, "static": [], "pim": None, "prefix_lists": {}, "links": [], "ospf": None,
         "rip": None, "bfd": None}


def absent_conf(hostname):
    return render.frr_conf(EMPTY, hostname=hostname)


def absent_daemons():
    return render.daemons_file(None)
