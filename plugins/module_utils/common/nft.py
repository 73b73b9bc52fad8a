# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing an nft table the module owns with what the box runs, as nft prints both."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_COUNTER = re.compile(r" counter packets \d+ bytes \d+")
_MAP_START = re.compile(r"^\s*map (\S+) \{$")


def strip_dynamic(listing, dynamic):
    """``listing`` without counters nor the elements of the maps ``dynamic(name)`` names: a health
    service rewrites those at run time, so they compare by structure only."""
    out, skip_elements, in_dynamic = [], False, False
    for line in (listing or "").splitlines():
        line = _COUNTER.sub("", line).rstrip()
        if skip_elements:
            if line.endswith("}"):
                skip_elements = False
            continue
        mt = _MAP_START.match(line)
        if mt:
            in_dynamic = bool(dynamic(mt.group(1)))
        elif in_dynamic and line.strip().startswith("elements = {"):
            skip_elements = not line.endswith("}")
            continue
        elif line.strip() == "}":
            in_dynamic = False
        if line:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def table_diff(family, table, live, desired):
    """The diff entry of the table: live against desired."""
    return {"before_header": "nft table %s %s (live)" % (family, table),
            "after_header": "nft table %s %s (desired)" % (family, table),
            "before": live, "after": desired}
