# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for a zone ``Site``: decided here, written by the adapters.

One code path for check mode and a real run: ``plan()`` gathers and compares, ``execute()`` writes.

Knowing what runs costs more than loading it at scale (listing 10,000 elements takes twice as long
as ``nft -f`` of them), so the ruleset is compared in the cheapest way that is still exact:

* fast: the state file names the ruleset last applied (its hash, a copy of its text) and the
  nftables generation right after that apply (``nft_gen``). When the kernel's generation is still
  that one, nothing in nftables changed since: the box runs exactly that text. Same hash: no-op
  without reading a listing; another text: the element difference of the two texts, or the whole
  replacement when the structure differs.
* exact (first run, anything changed nftables since, diff mode): the live listing compared with
  the desired one as nft prints it (from the state cache, else loaded in a scratch namespace).
  With no tables of ours live, there is nothing to compare: the ruleset is applied whole (one
  transaction, refused as a whole by the kernel if it does not load).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible_collections.azblink.nfv.plugins.module_utils.zones import nft_state, render_networkd, render_nft
from ansible_collections.azblink.nfv.plugins.module_utils.zones.net_adapter import mismatches
from ansible_collections.azblink.nfv.plugins.module_utils.zones.nft_adapter import PERSISTED


class Plan(object):
    def __init__(self):
        self.ruleset_text = ""       # the full file (tables replaced whole)
        self.live = ""               # live listing
        self.desired = ""            # desired listing, as nft prints it
        self.nft_change = False
        self.element_txn = None      # element-only transaction, when that suffices
        self.persist = False         # the boot file differs from what should run
        self.files_write = {}
        self.files_stale = []
        self.links_touch = []
        self.links_remove = []
        self.link_problems = []
        self.expected_links = {}
        self._old_files = {}
        self.sha256 = ""
        self.state_stale = False
        self.fast = False            # decided from the generation, no listing read
        self.generation = None       # nft_gen.generation() when planned
        self.listing_known = False   # self.desired is the listing nft prints for ruleset_text
        self.networkd = {}           # the networkd files wanted: name -> text
        self.running = None          # the text that runs, when the fast path knows it

    @property
    def changed(self):
        return bool(self.nft_change or self.persist or self.files_write or self.files_stale
                    or self.links_remove or self.link_problems)

    def actions(self):
        out = []
        if self.nft_change:
            out.append("nft: %s" % ("update set elements" if self.element_txn is not None
                                    else "replace tables inet %s, bridge %s"
                                    % (render_nft.TABLE, render_nft.L2_TABLE)))
        if self.persist:
            out.append("persist ruleset to %s" % PERSISTED)
        out += ["write %s/%s" % (render_networkd.DIR, f) for f in sorted(self.files_write)]
        out += ["remove %s/%s" % (render_networkd.DIR, f) for f in self.files_stale]
        out += ["delete link %s" % l for l in self.links_remove]
        out += ["reconfigure %s" % p for p in self.link_problems]
        return out

    def diff(self):
        d = [{"before_header": "nft ruleset (live)", "after_header": "nft ruleset (desired)",
              "before": self.live, "after": self.desired}]
        for name in sorted(set(self.files_write) | set(self.files_stale)):
            d.append({"before_header": os.path.join(render_networkd.DIR, name),
                      "after_header": os.path.join(render_networkd.DIR, name),
                      "before": self._old_files.get(name, ""),
                      "after": self.files_write.get(name, "")})
        return d


def _read(path):
    try:
        with open(path) as fh:
            return fh.read()
    except (IOError, OSError):
        return None


def plan(site, nft, net, exact=False):
    """``exact``: always compare listings (diff mode shows them)."""
    p = Plan()
    p.ruleset_text = render_nft.render(site)
    p.sha256 = hashlib.sha256(p.ruleset_text.encode()).hexdigest()
    stored = nft.read_state() or {}
    p.generation = nft.generation()
    if not exact and p.generation is not None and stored.get("generation") == p.generation:
        _plan_fast(p, nft, stored)
    if not p.fast:
        _plan_exact(p, nft, stored, exact)
    p.persist = _read(PERSISTED) != p.ruleset_text
    _plan_links(p, site, net)
    return p


def _plan_fast(p, nft, stored):
    """Nothing changed nftables since our last apply: compare texts, not listings."""
    if stored.get("sha256") == p.sha256:
        p.fast = True
        return
    old = nft.read_applied()
    if old is None or hashlib.sha256(old.encode()).hexdigest() != stored.get("sha256"):
        return   # no trustworthy copy of what runs: compare listings
    p.fast = True
    p.nft_change = True
    p.running = old
    p.element_txn = nft_state.element_changes(old, p.ruleset_text)


def _plan_exact(p, nft, stored, exact):
    p.live = nft.live()
    if not p.live:
        p.nft_change = True          # none of our tables: load the file whole (atomic)
        if exact:                    # the diff shows the listing it will run as
            p.desired = nft.canonical(p.ruleset_text)
            p.listing_known = True
        return
    if stored.get("sha256") == p.sha256 and stored.get("listing") == p.live:
        p.desired = p.live          # same text as last time, and nothing drifted: no scratch load
    else:
        p.desired = nft.canonical(p.ruleset_text)
        p.state_stale = True
    p.listing_known = True
    p.nft_change = p.live != p.desired
    if p.nft_change:
        p.element_txn = nft_state.element_changes(p.live, p.desired)
    else:
        p.state_stale = True         # the generation moved but not our tables: remember the new one


def _plan_links(p, site, net):
    want = p.networkd = render_networkd.render(site)
    have = net.files()
    p._old_files = have
    p.files_write = dict((k, v) for k, v in want.items() if have.get(k) != v)
    p.files_stale = sorted(k for k in have if k not in want)
    gone_bridges = [k[len(render_networkd.PREFIX):-len(".netdev")] for k in p.files_stale
                    if k.endswith(".netdev")]
    live_links = net.links()
    p.links_remove = sorted(b for b in gone_bridges if b in live_links)
    p.expected_links = render_networkd.expected_links(site)
    p.link_problems = mismatches(p.expected_links, live_links)
    touched = set(k[len(render_networkd.PREFIX):].rsplit(".", 1)[0]
                  for k in list(p.files_write) + p.files_stale)
    touched |= set(prob.split(":")[0] for prob in p.link_problems)
    p.links_touch = sorted(touched - set(p.links_remove))


def execute(p, nft, net, confirm_timeout=0):
    """Network first (links the ruleset names), then one nft transaction, then persistence."""
    if p.files_write or p.files_stale or p.links_remove or p.link_problems:
        net.write(p.files_write, p.files_stale)
        net.reload(p.links_touch, p.links_remove)
        missing = net.wait_for(p.expected_links)
        if missing:
            raise RuntimeError("zone links did not come up as declared: %s" % "; ".join(missing))
    if p.nft_change:
        if confirm_timeout:
            # what runs: known without a listing on the fast path (the text applied last)
            nft.schedule_rollback(confirm_timeout, render_nft.render_removal(), p.running)
        before = nft.generation()
        nft.apply(p.element_txn if p.element_txn else p.ruleset_text)
        after = nft.generation()
        # one transaction, ours alone: the generation after it stands for this text
        p.generation = after if before and after and after[:2] == before[:2] and after[2] == before[2] + 1 else None
    if confirm_timeout and p.nft_change:
        nft.stage_pending(p.ruleset_text)
    elif p.persist:
        nft.persist(p.ruleset_text)
    if p.nft_change:
        # the next run diffs against the text that runs: the boot file holds it now, unless a
        # confirmation is pending (the boot file keeps the last confirmed one until then)
        nft.save_applied(p.ruleset_text, in_boot_file=not confirm_timeout)
    save_state(p, nft)


def save_state(p, nft):
    """Remember what now runs (a cache: writing it is not a change of the box): the text's hash, the
    nftables generation it runs at, and its listing when that was read (for the exact path)."""
    if p.state_stale or p.nft_change:
        listing = p.desired if p.listing_known else None
        nft.save_state(p.sha256, listing, p.generation)
