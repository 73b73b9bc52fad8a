# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declared policies -> ``Policy`` objects, from ``policies`` (dicts) and ``policies_compact`` (lines).

Both lists can hold tens of thousands of entries, so this is the module's hot path: each entry is
checked here against the element spec (known fields, types, choices, defaults) instead of by
AnsibleModule's per-element sub-spec pass, field paths are only formatted for an error, zone and
host endpoints are resolved once per name, and addresses are parsed by ``nets`` (integers).

The compact form is one policy per line, words separated by blanks (``#`` starts a comment line)::

    NAME FROM TO PROTO [PORTS] [accept|drop] [log]

FROM and TO are comma-separated zone names, host names, addresses, CIDRs or ``any`` (TO may be
``self``), PORTS comma-separated ports or ranges ``a-b``. A rate limit needs the ``policies`` form.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.fields import NAME_RE
from ansible_collections.azblink.nfv.plugins.module_utils.zones import nets

PROTOS = ("tcp", "udp", "icmp", "any")
ACTIONS = ("accept", "drop")
RATE_RE = re.compile(r"^(\d+)/(second|minute|hour)(?: burst (\d+))?$")
FIELDS = ("name", "from", "to", "proto", "ports", "action", "log", "rate_limit")
_FIELD_SET = frozenset(FIELDS)
ANY = (nets.Net.of(ipaddress.ip_network("0.0.0.0/0")), nets.Net.of(ipaddress.ip_network("::/0")))


class Policy(object):
    def __init__(self, name, src, dst, proto, ports, action, log, rate_limit, to_self):
        self.name, self.src, self.dst, self.proto, self.ports = name, src, dst, proto, ports
        self.action, self.log, self.rate_limit, self.to_self = action, log, rate_limit, to_self

    @property
    def plain(self):
        """A plain policy compiles to set elements; logged or rate-limited ones need their own rule."""
        return not self.log and not self.rate_limit and not self.to_self


class Endpoints(object):
    """Policy endpoint names -> networks (``Net``), each zone and host resolved once."""

    def __init__(self, names):
        self.names = names   # name -> ("zone", Zone) | ("host", Host)
        self.cache = {}

    def resolve(self, ref, path):
        hit = self.cache.get(ref)
        if hit is not None:
            return hit
        if ref in self.names:
            kind, obj = self.names[ref]
            if kind == "zone":
                if not obj.reachable:
                    raise ValidationError(path(), "zone %s has no address or routed network to match on" % ref)
                hit = [nets.Net.of(n) for n in obj.reachable]
            else:
                hit = [nets.Net.of(ipaddress.ip_network(a)) for a in obj.addresses]
            self.cache[ref] = hit
            return hit
        if ref == "any":
            return list(ANY)
        if isinstance(ref, str):
            quad = nets.parse(ref)
            if quad is not None:
                return [quad]
            if NAME_RE.match(ref):
                raise ValidationError(path(), "unknown zone or host %r" % ref)
        return [nets.network(ref, path())]


def _refs(value, path):
    if value in (None, [], ""):
        raise ValidationError(path, "is required")
    return value if isinstance(value, list) else [value]


def _ports(value, path):
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    out = []
    for j, v in enumerate(value):
        if isinstance(v, str) and v.isdigit() and len(v) <= 5 and 1 <= int(v) <= 65535:
            out.append((int(v), int(v)))
        else:
            out.append(f.port_range(v, "%s.ports[%d]" % (path, j)))
    return out


def _bool(value, path):
    if isinstance(value, bool):
        return value
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValidationError(path, "%r is not a boolean" % (value,))


def policy(p, path, endpoints):
    """One policy entry (a dict with the ``policies`` fields) -> Policy, or ValidationError."""
    if not isinstance(p, dict):
        raise ValidationError(path, "must be a dictionary")
    if not _FIELD_SET.issuperset(p):
        unknown = sorted(str(k) for k in p if k not in _FIELD_SET)[0]
        raise ValidationError("%s.%s" % (path, unknown), "unknown field (known: %s)" % ", ".join(FIELDS))
    name = p.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        f.name(f.need(p, "name", path), path + ".name")
    srcs = _refs(p.get("from"), path + ".from")
    dsts = _refs(p.get("to"), path + ".to")
    src = []
    for j, ref in enumerate(srcs):
        src += endpoints.resolve(ref, lambda j=j: "%s.from[%d]" % (path, j))
    to_self = dsts == ["self"]
    dst = []
    if not to_self:
        for j, ref in enumerate(dsts):
            if ref == "self":
                raise ValidationError("%s.to[%d]" % (path, j), "'self' cannot be mixed with others")
            dst += endpoints.resolve(ref, lambda j=j: "%s.to[%d]" % (path, j))
    proto = f.get(p, "proto", "tcp")
    if proto not in PROTOS:
        raise ValidationError(path + ".proto", "%r is not one of %s" % (proto, ", ".join(PROTOS)))
    ports = _ports(p.get("ports"), path)
    if ports and proto not in ("tcp", "udp"):
        raise ValidationError(path + ".ports", "ports need proto tcp or udp, not %s" % proto)
    if proto in ("tcp", "udp") and not ports:
        raise ValidationError(path + ".ports", "proto %s needs ports (use proto any for all)" % proto)
    action = f.get(p, "action", "accept")
    if action not in ACTIONS:
        raise ValidationError(path + ".action", "must be accept or drop")
    log = _bool(f.get(p, "log", False), path + ".log")
    rate = p.get("rate_limit")
    if rate is not None and not RATE_RE.match(str(rate)):
        raise ValidationError(path + ".rate_limit", "%r is not N/second|minute|hour [burst N]" % (rate,))
    return Policy(name, src, dst, proto, ports, action, log, rate, to_self)


def compact_entries(text, key="policies_compact"):
    """The lines of the compact form -> [(policy dict, path)] (path: ``KEY[line N]``)."""
    return [(_line_entry(words, path), path) for words, path in _lines(text, key)]


def _lines(text, key):
    if text is None:
        return
    if not isinstance(text, str):
        raise ValidationError(key, "must be a string (one policy per line)")
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if words and not words[0].startswith("#"):
            yield words, "%s[line %d]" % (key, number)


def _line_entry(words, path):
    if len(words) < 4:
        raise ValidationError(path, "needs NAME FROM TO PROTO [PORTS] [accept|drop] [log], got %r" % " ".join(words))
    entry = {"name": words[0], "from": words[1].split(","), "to": words[2].split(","), "proto": words[3]}
    for word in words[4:]:
        if word in ACTIONS:
            entry["action"] = word
        elif word == "log":
            entry["log"] = True
        elif word[0].isdigit() and "ports" not in entry:
            entry["ports"] = word.split(",")
        else:
            raise ValidationError(path, "%r is not ports, accept, drop or log" % word)
    return entry


def _line_policy(words, path, endpoints):
    """The common line (NAME FROM TO tcp|udp PORTS, nothing else) straight to a Policy: the same
    checks as ``policy`` without building and re-checking a dictionary (100,000 lines)."""
    if len(words) != 5 or words[3] not in ("tcp", "udp") or not NAME_RE.match(words[0]) or "self" in words[2]:
        return policy(_line_entry(words, path), path, endpoints)
    src, dst = [], []
    for j, ref in enumerate(words[1].split(",")):
        src += endpoints.resolve(ref, lambda j=j: "%s.from[%d]" % (path, j))
    for j, ref in enumerate(words[2].split(",")):
        dst += endpoints.resolve(ref, lambda j=j: "%s.to[%d]" % (path, j))
    return Policy(words[0], src, dst, words[3], _ports(words[4].split(","), path), "accept", False, None, False)


def build(raw, compact, names):
    """``policies`` (list of dicts) and ``policies_compact`` (text) -> [Policy]; names are unique
    across both."""
    if raw is not None and not isinstance(raw, list):
        raise ValidationError("policies", "must be a list")
    endpoints = Endpoints(names)
    out, paths = [], []
    for i, p in enumerate(raw or []):
        path = "policies[%d]" % i
        out.append(policy(p, path, endpoints))
        paths.append(path)
    for words, path in _lines(compact, "policies_compact"):
        out.append(_line_policy(words, path, endpoints))
        paths.append(path)
    seen = {}
    for i, p in enumerate(out):
        if p.name in seen:
            raise ValidationError(paths[i], "duplicate policy name %r (first at %s)" % (p.name, paths[seen[p.name]]))
        seen[p.name] = i
    return out
