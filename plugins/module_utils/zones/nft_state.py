# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers on nft listings: structure vs set elements, and the element-level difference.

A listing is what ``nft list table`` prints. Comparing the desired ruleset with the live one is done
on listings both printed by the same nft (the desired one loaded into a scratch network namespace),
so formatting never shows up as a change. When only set elements differ, the change is applied as
element additions and deletions: a one-rule change on 10,000 entries does not reload the rest.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_COUNTER = re.compile(r" counter packets \d+ bytes \d+")
_TABLE = re.compile(r"^table (\w+) (\S+) \{$")
_SET = re.compile(r"^\s*(?:set|map) (\S+) \{$")


def normalise(listing):
    """Drop what traffic changes (counters) and trailing space."""
    return "\n".join(_COUNTER.sub("", line).rstrip() for line in (listing or "").splitlines()).strip() + "\n"


def split(listing):
    """-> (structure text without set elements, {(family, table, set): frozenset(elements)})."""
    structure, elements = [], {}
    family = table = current = None
    collecting = None
    for line in normalise(listing).splitlines():
        if collecting is not None:
            collecting.append(line)
            if line.rstrip().endswith("}"):
                elements[(family, table, current)] = _parse_elements(" ".join(collecting))
                collecting = None
            continue
        m = _TABLE.match(line)
        if m:
            family, table = m.group(1), m.group(2)
        m = _SET.match(line)
        if m:
            current = m.group(1)
            elements.setdefault((family, table, current), frozenset())
        if line.strip().startswith("elements = {"):
            collecting = [line]
            if line.rstrip().endswith("}"):
                elements[(family, table, current)] = _parse_elements(line)
                collecting = None
            continue
        structure.append(line)
    return "\n".join(structure) + "\n", elements


def _parse_elements(text):
    body = text.split("{", 1)[1].rsplit("}", 1)[0]
    return frozenset(e.strip() for e in body.split(",") if e.strip())


def element_changes(live, desired):
    """Element-level transaction text turning ``live`` into ``desired`` when only elements differ.

    Returns None when the structure differs (the caller replaces the tables whole), or "" when the
    listings are equal.
    """
    live_struct, live_elems = split(live)
    want_struct, want_elems = split(desired)
    if live_struct != want_struct or set(live_elems) != set(want_elems):
        return None
    cmds = []
    for key in sorted(want_elems):
        family, table, name = key
        gone = sorted(live_elems[key] - want_elems[key])
        new = sorted(want_elems[key] - live_elems[key])
        if gone:
            cmds.append("delete element %s %s %s { %s }" % (family, table, name, ", ".join(gone)))
        if new:
            cmds.append("add element %s %s %s { %s }" % (family, table, name, ", ".join(new)))
    return "\n".join(cmds) + ("\n" if cmds else "")


def summary(live, desired):
    """Human-readable diff lines: structure lines and set elements added (+) or removed (-)."""
    import difflib
    live_struct, live_elems = split(live)
    want_struct, want_elems = split(desired)
    lines = list(difflib.unified_diff(live_struct.splitlines(), want_struct.splitlines(),
                                      "live", "desired", lineterm="", n=1))
    for key in sorted(set(live_elems) | set(want_elems)):
        before, after = live_elems.get(key, frozenset()), want_elems.get(key, frozenset())
        for e in sorted(after - before):
            lines.append("+ %s %s set %s: %s" % (key[0], key[1], key[2], e))
        for e in sorted(before - after):
            lines.append("- %s %s set %s: %s" % (key[0], key[1], key[2], e))
    return lines
