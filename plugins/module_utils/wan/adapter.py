# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System adapter of azb_wan_policy: nft table, ip rules and routes (``ip -j``), files, systemd.

``run(argv, data=None) -> (rc, out, err)`` is injected (AnsibleModule.run_command), so everything
here can be driven by a fake in unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.azblink.nfv.plugins.module_utils.wan import model as m
from ansible_collections.azblink.nfv.plugins.module_utils.wan import render


class WanError(RuntimeError):
    pass


def rule_key(r):
    """One ``ip -j rule`` entry -> the normalised string the renderer also makes."""
    parts = [str(r["priority"])]
    if r.get("src") not in (None, "all"):
        parts += ["from", "%s/%s" % (r["src"], r.get("srclen", 32)) if "srclen" in r else r["src"]]
    if "fwmark" in r:
        parts += ["fwmark", "%s/%s" % (r["fwmark"], r.get("fwmask", "0xffffffff"))]
    action = r.get("action")
    if action and action != "lookup" and "table" not in r:
        parts.append(action)
    else:
        parts += ["lookup", str(r.get("table"))]
    if "suppress_prefixlen" in r:
        parts += ["suppress_prefixlength", str(r["suppress_prefixlen"])]
    return " ".join(parts)


def route_key(r):
    """One ``ip -j route`` entry -> a normalised string like the renderer's."""
    parts = []
    if r.get("type") not in (None, "unicast"):
        parts.append(r["type"])
    parts.append(r.get("dst", "default"))
    if r.get("gateway"):
        parts += ["via", r["gateway"]]
    if r.get("dev"):
        parts += ["dev", r["dev"]]
    if r.get("scope") == "link":
        parts += ["scope", "link"]
    if r.get("prefsrc"):
        parts += ["src", r["prefsrc"]]
    if "onlink" in (r.get("flags") or []):
        parts.append("onlink")
    return " ".join(parts)


class Adapter(object):
    def __init__(self, run, nft="nft"):
        self.run = run
        self.nft = nft

    def _ok(self, argv, data=None, what=None):
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            raise WanError("%s failed: %s" % (what or " ".join(argv), (err or out).strip()))
        return out

    # -- nftables --------------------------------------------------------------------------------
    def nft_live(self):
        rc, out, _err = self.run([self.nft, "list", "table", "inet", render.TABLE])
        return out if rc == 0 else ""

    def nft_canonical(self, text):
        """What nft prints for ``text``, loaded into a throwaway network namespace (proves it loads)."""
        script = "set -e; %s -f - ; %s list table inet %s" % (self.nft, self.nft, render.TABLE)
        rc, out, err = self.run(["unshare", "--net", "sh", "-c", script], data=text)
        if rc != 0:
            raise WanError("the rendered nft table does not load: %s" % (err or out).strip())
        return out

    def nft_apply(self, text):
        self._ok([self.nft, "-f", "-"], data=text, what="nft -f (table inet %s)" % render.TABLE)

    # -- rules and routes ----------------------------------------------------------------------------
    def rules(self):
        out = self._ok(["ip", "-j", "-4", "rule", "show"])
        return sorted(rule_key(r) for r in json.loads(out or "[]")
                      if m.RULE_PREF_MIN <= int(r.get("priority", 0)) <= m.RULE_PREF_MAX)

    def routes(self, table):
        rc, out, _err = self.run(["ip", "-j", "-4", "route", "show", "table", str(table)])
        if rc != 0:  # "FIB table does not exist": empty
            return []
        return sorted(route_key(r) for r in json.loads(out or "[]"))

    def batch(self, lines):
        if lines:
            self._ok(["ip", "-batch", "-"], data="\n".join(lines) + "\n", what="ip -batch (rules, routes)")

    # -- files ---------------------------------------------------------------------------------------
    @staticmethod
    def read(path):
        try:
            with open(path) as fh:
                return fh.read()
        except (IOError, OSError):
            return None

    @staticmethod
    def write(path, content, mode=0o644):
        d = os.path.dirname(path)
        if not os.path.isdir(d):
            os.makedirs(d, 0o755)
        tmp = os.path.join(d, "." + os.path.basename(path) + ".tmp")
        with open(tmp, "w") as fh:
            fh.write(content)
        os.chmod(tmp, mode)
        os.rename(tmp, path)

    @staticmethod
    def remove(path):
        if os.path.exists(path):
            os.unlink(path)

    @staticmethod
    def listdir(path):
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    # -- systemd -------------------------------------------------------------------------------------
    def systemctl(self, *args):
        return self.run(["systemctl"] + list(args))

    def unit_enabled(self, unit):
        return self.systemctl("is-enabled", "--quiet", unit)[0] == 0

    def unit_active(self, unit):
        return self.systemctl("is-active", "--quiet", unit)[0] == 0

    def must(self, *args):
        rc, out, err = self.systemctl(*args)
        if rc != 0:
            raise WanError("systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))
