# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_vpn's decisions: what must change on the box (plan), then the one apply that does it.

``plan`` compares the rendered artifacts (placeholders resolved) with the files and with what runs
(unit active, interface present) and decides per tunnel: nothing, reload (WireGuard peers and routes
synced live with ``wg syncconf``, nobody else dropped), or restart of that tunnel's unit only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.azblink.nfv.plugins.module_utils.vpn import render

RANK = {"none": 0, "reload": 1, "restart": 2}


def key_files(tunnels, paths):
    """(path, kind) of every key this appliance generates and keeps."""
    out = []
    for t in tunnels:
        if t.type == "wireguard":
            out.append((paths.key(t), "wg"))
            out += [(paths.client_key(t, c), "wg") for c in t.clients if not c.public_key]
        elif t.type == "openvpn":
            out.append((paths.tls_crypt(t), "ovpn"))
    return out


def ensure_keys(tunnels, paths, system, check_mode):
    """Generate the missing keys (not in check mode). Returns (created paths, public keys)."""
    created = []
    for path, kind in key_files(tunnels, paths):
        if system.read(path) is None:
            created.append(path)
            if not check_mode:
                system.wg_genkey(path) if kind == "wg" else system.ovpn_genkey(path)
    pubs = {}
    for t in tunnels:
        if t.type == "wireguard":
            pubs[t.name] = system.wg_pubkey(paths.key(t))
    return created, pubs


class Change(object):
    def __init__(self, artifact, tunnel, before, after, final, reason):
        self.artifact = artifact
        self.tunnel = tunnel
        self.before = before
        self.after = after
        self.final = final
        self.reason = reason


class Plan(object):
    def __init__(self):
        self.changes = []        # Change
        self.actions = {}        # tunnel name -> reload | restart
        self.enable = []         # units to enable
        self.stale_units = []    # unit names to stop, disable and remove
        self.stale_paths = []    # files / directories to remove
        self.qr = []             # (conf, png)
        self.keys_created = []

    @property
    def changed(self):
        return bool(self.changes or self.actions or self.enable or self.stale_units or self.stale_paths
                    or self.qr or self.keys_created)


def _redact(text, secrets):
    if text is None:
        return ""
    for s in secrets:
        text = text.replace(s, "(secret)")
    return text


def plan(tunnels, paths, system, implementation, check_mode=False, remove=False):
    p = Plan()
    if remove:
        for t in tunnels:
            if os.path.exists(paths.unit(t)) or os.path.isdir(paths.tunnel_dir(t)):
                p.stale_units.append(t.unit)
                p.stale_paths += _tunnel_paths(t.name, paths)
        return p
    wanted_units = set(t.unit for t in tunnels)
    wanted_paths = set()
    for t in tunnels:
        action = "none"
        unit_path = paths.unit(t)
        for a in render.artifacts(t, paths, implementation):
            wanted_paths.add(a.path)
            final, secrets = system.resolve(a.content)
            current = system.read(a.path)
            if current != final or system.mode(a.path) != a.mode:
                reason = "missing" if current is None else ("content" if current != final else "mode")
                p.changes.append(Change(a, t.name, _redact(current, secrets), _redact(final, secrets),
                                        final, reason))
                action = max(action, a.on_change, key=RANK.get)
                if a.kind == "export" and a.path.endswith(".conf"):
                    p.qr.append((a.path, a.path[:-5] + ".png"))
            elif a.kind == "export" and a.path.endswith(".conf") and not os.path.exists(a.path[:-5] + ".png"):
                p.qr.append((a.path, a.path[:-5] + ".png"))
            if a.kind == "export" and a.path.endswith(".conf"):
                wanted_paths.add(a.path[:-5] + ".png")
        if not system.unit_active(t.unit) or (t.type in ("wireguard", "openvpn")
                                              and not system.link_exists(t.name)):
            action = "restart"
        if action != "none":
            p.actions[t.name] = action
        if not system.unit_enabled(t.unit) or any(c.artifact.path == unit_path for c in p.changes):
            p.enable.append(t.unit)
        # files of clients that are gone
        for sub in ("ccd",):
            d = os.path.join(paths.tunnel_dir(t), sub)
            p.stale_paths += [os.path.join(d, f) for f in system.listdir(d)
                              if os.path.join(d, f) not in wanted_paths]
        d = os.path.join(paths.export_dir, t.name)
        p.stale_paths += [os.path.join(d, f) for f in system.listdir(d)
                          if os.path.join(d, f) not in wanted_paths]
        d = os.path.join(paths.tunnel_dir(t), "clients")
        wanted_keys = set(path for path, _k in key_files([t], paths))
        p.stale_paths += [os.path.join(d, f) for f in system.listdir(d) if os.path.join(d, f) not in wanted_keys]
    for f in system.listdir(paths.unit_dir):
        if f.startswith("azb-vpn-") and f.endswith(".service") and f not in wanted_units:
            p.stale_units.append(f)
            p.stale_paths += _tunnel_paths(f[len("azb-vpn-"):-len(".service")], paths)
    return p


def _tunnel_paths(name, paths):
    return ["%s/azb-vpn-%s.service" % (paths.unit_dir, name), "%s/%s" % (paths.config_dir, name),
            "%s/%s" % (paths.export_dir, name), "%s/conf.d/azb-%s.conf" % (paths.swanctl_dir, name)]


def apply(p, system, tunnels):
    """The one apply: files first, then systemd, tunnel by tunnel (the others keep running)."""
    for unit in p.stale_units:
        system.run(["systemctl", "disable", "--now", unit], check=False)
    for path in p.stale_paths:
        system.remove(path)
    for c in p.changes:
        system.write(c.artifact.path, c.final, c.artifact.mode)
    if any(c.artifact.kind == "unit" for c in p.changes) or p.stale_units:
        system.systemctl("daemon-reload")
    for unit in p.enable:
        system.systemctl("enable", unit)
    daemons = sorted(set(c.artifact.kind.split(":", 1)[1] for c in p.changes if c.artifact.kind.startswith("daemon:")))
    for unit in daemons:  # e.g. strongSwan, when its plugin configuration changed
        system.systemctl("restart", unit)
    by_name = dict((t.name, t) for t in tunnels)
    for name in sorted(p.actions):
        t = by_name[name]
        if p.actions[name] == "reload" and system.unit_active(t.unit):
            system.systemctl("reload", t.unit)
        else:
            system.systemctl("restart", t.unit)
    for conf, png in p.qr:
        system.qrencode(conf, png)


def diff(p):
    before, after = [], []
    for c in p.changes:
        before.append("### %s\n%s" % (c.artifact.path, c.before if c.reason != "missing" else "(absent)\n"))
        after.append("### %s (mode %o)\n%s" % (c.artifact.path, c.artifact.mode, c.after))
    for path in p.stale_paths:
        if os.path.lexists(path):
            before.append("### %s\n(present)\n" % path)
            after.append("### %s\n(removed)\n" % path)
    for path in p.keys_created:
        after.append("### %s\n(key generated on the appliance, mode 600)\n" % path)
    return {"before": "\n".join(before), "after": "\n".join(after)}


def rendered(tunnels, paths, implementation):
    """state=rendered: every artifact with secrets and generated keys left as placeholders."""
    out = {}
    for t in tunnels:
        for a in render.artifacts(t, paths, implementation):
            text = a.redacted()
            text = render.re.sub(r"\{\{pubkey:([^}]+)\}\}", r"(public key of \1)", text)
            text = render.re.sub(r"\{\{file:([^}]+)\}\}", r"(contents of \1)", text)
            out[a.path] = text
    return out
