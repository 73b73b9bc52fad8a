# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter for the zones ruleset: read live tables, canonicalise, apply, commit-confirm.

Every change is one ``nft -f`` transaction: either element additions/deletions, or both tables
replaced whole. ``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.azblink.nfv.plugins.module_utils import atomic
from ansible_collections.azblink.nfv.plugins.module_utils.zones import nft_gen, nft_state
from ansible_collections.azblink.nfv.plugins.module_utils.zones.render_nft import L2_TABLE, TABLE

PERSISTED = "/etc/azblink/firewall.nft"          # what the box loads at boot (last confirmed)
PENDING = "/run/azblink/firewall.pending.nft"    # applied, waiting for confirmation
ROLLBACK = "/run/azblink/firewall.rollback.nft"  # what a missed confirmation restores
ROLLBACK_UNIT = "azb-firewall-rollback"
# The listing nft printed for the last applied ruleset, keyed by the ruleset's hash: a converge that
# renders the same text and finds exactly that listing live is a no-op without a scratch load.
STATE = "/var/lib/azblink/firewall.state.json"
# The text of the ruleset last applied while a change awaits confirmation (PERSISTED lags behind it
# then; otherwise PERSISTED is that text and this file is absent): with an unchanged nftables
# generation, a new text is diffed against it without reading the box.
APPLIED = "/var/lib/azblink/firewall.applied.nft"
TABLES = (("inet", TABLE), ("bridge", L2_TABLE))


class NftError(RuntimeError):
    pass


class NftAdapter(object):
    def __init__(self, run, nft="nft"):
        self.run = run
        self.nft = nft

    def _nft(self, args, data=None, check=True):
        rc, out, err = self.run([self.nft] + args, data=data)
        if check and rc != 0:
            raise NftError("nft %s failed: %s" % (" ".join(args), (err or out).strip()))
        return rc, out, err

    def live(self):
        """Listing of our tables as they run now ("" when absent)."""
        parts = []
        for family, name in TABLES:
            rc, out, _err = self._nft(["list", "table", family, name], check=False)
            if rc == 0:
                parts.append(out)
        return nft_state.normalise("".join(parts)) if parts else ""

    def canonical(self, text):
        """The listing nft itself prints for ``text``, loaded into a throwaway network namespace.

        This also proves the ruleset loads (syntax and kernel support) before the box is touched.
        """
        script = "set -e; %s -f - ; %s" % (self.nft, "; ".join(
            "%s list table %s %s" % (self.nft, f, n) for f, n in TABLES))
        rc, out, err = self.run(["unshare", "--net", "sh", "-c", script], data=text)
        if rc != 0:
            raise NftError("the rendered ruleset does not load: %s" % (err or out).strip())
        return nft_state.normalise(out)

    def apply(self, text):
        self._nft(["-f", "-"], data=text)

    # -- persistence and commit-confirm ------------------------------------------------------------

    def persist(self, text):
        _write(PERSISTED, text)

    def schedule_rollback(self, seconds, removal_text, current=None):
        """Arm a timer on the box that restores the current ruleset unless confirmed in time.

        ``current``: the text that runs, when the caller knows it (the nftables generation says so),
        else it is listed. A rollback already pending keeps its snapshot: it returns to the last
        confirmed state, not to an unconfirmed one in between.
        """
        pending = self.run(["systemctl", "is-active", "--quiet", ROLLBACK_UNIT + ".timer"])[0] == 0
        if not pending:
            current = self.live() if current is None else current
            _write(ROLLBACK, removal_text + current if current else removal_text)
        self.run(["systemctl", "stop", ROLLBACK_UNIT + ".timer", ROLLBACK_UNIT + ".service"])
        self.run(["systemctl", "reset-failed", ROLLBACK_UNIT + ".timer", ROLLBACK_UNIT + ".service"])
        rc, out, err = self.run(["systemd-run", "--unit", ROLLBACK_UNIT, "--on-active=%ds" % seconds,
                                 "--timer-property=AccuracySec=100ms",
                                 "--description=azblink.nfv: restore the firewall unless confirmed",
                                 "/bin/sh", "-c", "%s -f %s && logger -t azblink "
                                 "'firewall change not confirmed: previous ruleset restored'"
                                 % (self.nft, ROLLBACK)])
        if rc != 0:
            raise NftError("could not arm the rollback timer: %s" % (err or out).strip())

    def rollback_pending(self):
        return self.run(["systemctl", "is-active", "--quiet", ROLLBACK_UNIT + ".timer"])[0] == 0

    def confirm(self):
        """Disarm the rollback and make the applied ruleset the one the box boots with."""
        was_pending = self.rollback_pending()
        self.run(["systemctl", "stop", ROLLBACK_UNIT + ".timer"])
        if os.path.exists(PENDING):
            with open(PENDING) as fh:
                self.persist(fh.read())
            os.unlink(PENDING)
        return was_pending

    def stage_pending(self, text):
        _write(PENDING, text)

    def read_state(self):
        try:
            with open(STATE) as fh:
                return json.load(fh)
        except (IOError, OSError, ValueError):
            return None

    def clear_state(self):
        for path in (STATE, APPLIED):
            if os.path.exists(path):
                os.unlink(path)

    def save_state(self, sha256, listing, generation=None):
        """``listing``: as nft prints the ruleset (None when not read); ``generation``: the nftables
        generation it runs at (None when another change may have come in between)."""
        _write(STATE, json.dumps({"sha256": sha256, "listing": listing, "generation": generation}))

    def generation(self):
        return nft_gen.generation()

    def read_applied(self):
        """The text last applied (the caller checks it against the state's hash), or None."""
        for path in (APPLIED, PERSISTED):
            try:
                with open(path) as fh:
                    return fh.read()
            except (IOError, OSError):
                continue
        return None

    def save_applied(self, text, in_boot_file=False):
        """``in_boot_file``: the boot file holds ``text`` already; a second copy of a megabyte
        (written and synced) is spared, and read_applied reads the boot file."""
        if not in_boot_file:
            _write(APPLIED, text)
        elif os.path.exists(APPLIED):
            os.unlink(APPLIED)


def _write(path, text):
    atomic.write_atomic(path, text, 0o600)
