# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rates as people write them ("20mbit", "512kbit", "1gbit", "30%") -> bits per second."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)\s*$", re.I)
_PCT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_UNITS = {"bit": 1, "kbit": 1000, "mbit": 1000 ** 2, "gbit": 1000 ** 3}
MIN_BPS = 8000            # below this HTB cannot pace a single full-size packet usefully
MAX_BPS = 100 * 1000 ** 3


def absolute(value, path):
    """'20mbit' -> 20000000 (bits per second, SI units as tc reads them)."""
    m = _RATE_RE.match(str(value)) if value is not None else None
    if not m:
        raise ValidationError(path, "%r is not a rate (a number and bit, kbit, mbit or gbit, e.g. 20mbit)"
                              % (value,))
    bps = int(round(float(m.group(1)) * _UNITS[m.group(2).lower()]))
    if not MIN_BPS <= bps <= MAX_BPS:
        raise ValidationError(path, "%s is out of range 8kbit-100gbit" % value)
    return bps


def relative(value, path):
    """A class rate: ('pct', 30.0) for '30%', ('bps', n) for an absolute rate."""
    m = _PCT_RE.match(str(value)) if isinstance(value, str) else None
    if m:
        pct = float(m.group(1))
        if not 0 < pct <= 100:
            raise ValidationError(path, "%s is not in (0%%, 100%%]" % value)
        return ("pct", pct)
    return ("bps", absolute(value, path))


def resolve(rel, link_bps):
    kind, n = rel
    return int(link_bps * n / 100) if kind == "pct" else n


def tc_rate(bps):
    """The way tc is given (and prints back) a rate: whole kbit when it divides, else bit."""
    if bps % 1000000 == 0:
        return "%dMbit" % (bps // 1000000)
    if bps % 1000 == 0:
        return "%dKbit" % (bps // 1000)
    return "%dbit" % bps


def human(bps):
    return "%gmbit" % (bps / 1e6) if bps >= 1e6 else "%gkbit" % (bps / 1e3)
