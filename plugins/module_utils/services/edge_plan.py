# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on the box for an ``Edge`` (``plan``), and doing it (``execute``).

One code path for check mode and a real run. The rendered configurations are validated by the tools'
own checkers (``haproxy -c``, ``squid -k parse``) before anything is written; a configuration they
refuse fails the run with the box untouched. Files are written atomically, then each service is
reloaded (haproxy: new workers, old ones finish their connections; squid: ``-k reconfigure``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_haproxy as rh
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_squid as rs
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import ServiceError

HAPROXY = "haproxy.service"
SQUID = "squid.service"
MANAGED = (rh.HEADER, rs.HEADER)
# Listeners on a zone address must start at boot even before networkd has put the address up.
SYSCTL_FILE = "/etc/sysctl.d/60-azblink-services.conf"
SYSCTL = {"net.ipv4.ip_nonlocal_bind": "1", "net.ipv6.ip_nonlocal_bind": "1"}
SYSCTL_TEXT = "# Managed by azblink.nfv (azb_edge_services): services bind zone addresses at boot.\n" + "".join(
    "%s = %s\n" % kv for kv in sorted(SYSCTL.items()))


def redact(text):
    """A PEM bundle as the diff may show it: the certificate's fingerprint, never the key."""
    if not text:
        return ""
    return "certificate and key, sha256 of the bundle %s\n" % hashlib.sha256(text.encode()).hexdigest()[:16]


class Plan(object):
    def __init__(self):
        self.write = {}       # path -> (content, mode)
        self.old = {}         # path -> content before
        self.remove = []
        self.secret = set()   # paths whose content never appears in a diff
        self.reload, self.start, self.enable, self.stop = [], [], [], []
        self.endpoints = []
        self.sysctl = {}      # key -> value to set now
        self.notes = []       # what check mode could not verify

    @property
    def changed(self):
        return bool(self.write or self.remove or self.reload or self.start or self.enable or self.stop
                    or self.sysctl)

    def actions(self):
        out = ["write %s" % p for p in sorted(self.write)] + ["remove %s" % p for p in self.remove]
        out += ["sysctl %s=%s" % kv for kv in sorted(self.sysctl.items())]
        out += ["note: %s" % n for n in self.notes]
        out += ["enable %s" % u for u in self.enable] + ["start %s" % u for u in self.start]
        out += ["reload %s" % u for u in self.reload] + ["stop and disable %s" % u for u in self.stop]
        return out

    def diff(self):
        d = []
        for path in sorted(set(self.write) | set(self.remove)):
            before, after = self.old.get(path) or "", self.write.get(path, ("", 0))[0]
            if path in self.secret:
                before, after = redact(before), redact(after)
            d.append({"before_header": path, "after_header": path, "before": before, "after": after})
        return d


def _want_files(edge, ad):
    """Rendered files (path -> (content, mode)) and the TLS bundles by name."""
    want, pems = {}, {}
    if edge.balancers:
        for i, b in enumerate(edge.balancers):
            if b.certificate and b.certificate not in pems:
                pem = ad.certificate_pem(b.certificate)
                if pem is None:
                    raise ValidationError("load_balancers[%d].certificate" % i, "no certificate %r on the box"
                                          " (issue and push it with the pki role)" % b.certificate)
                pems[b.certificate] = pem
        for name, pem in pems.items():
            want[rh.pem_path(name)] = (pem, 0o600)
        want[rh.CONFIG] = (rh.render(edge), 0o644)
    if edge.proxy:
        want[rs.CONFIG] = (rs.render(edge.proxy), 0o644)
    if any(b.bind_address for b in edge.balancers) or (edge.proxy and edge.proxy.listen):
        want[SYSCTL_FILE] = (SYSCTL_TEXT, 0o644)
    return want, pems


def _check(edge, pems, ad, check_mode, notes):
    """The tools' own checkers on the rendered text. In check mode a tool not installed yet (the role
    installs it in the same run) is noted instead of failing."""
    if edge.balancers:
        haproxy = ad.binary("haproxy")
        if haproxy:
            # Rendered for the checker's private directory, where it finds the TLS bundles.
            rc, msg = ad.check_with(lambda cfg: [haproxy, "-c", "-q", "-f", cfg],
                                    dict(("%s.pem" % n, p) for n, p in pems.items()),
                                    lambda tmp: rh.render(edge, tls_dir=tmp))
            if rc != 0:
                raise ServiceError("haproxy -c refuses the rendered configuration: %s" % msg.strip())
        elif check_mode:
            notes.append("haproxy is not installed yet: its configuration is checked once it is")
        else:
            raise ServiceError("haproxy is not installed (the services role installs it)")
    if edge.proxy:
        squid = ad.binary("squid")
        if squid:
            rc, msg = ad.check_with(lambda cfg: [squid, "-k", "parse", "-f", cfg], {},
                                    lambda tmp: rs.render(edge.proxy))
            if rc != 0:
                raise ServiceError("squid -k parse refuses the rendered configuration: %s" % msg.strip())
        elif check_mode:
            notes.append("squid is not installed yet: its configuration is checked once it is")
        else:
            raise ServiceError("squid is not installed (the services role installs it)")


def plan(edge, ad, check_mode=False):
    p = Plan()
    want, pems = _want_files(edge, ad)
    _check(edge, pems, ad, check_mode, p.notes)
    for path, (content, mode) in sorted(want.items()):
        old = ad.read(path)
        p.old[path] = old
        if path.endswith(".pem"):
            p.secret.add(path)
        if old != content:
            p.write[path] = (content, mode)
    if SYSCTL_FILE not in want and ad.read(SYSCTL_FILE) is not None:
        p.remove.append(SYSCTL_FILE)
        p.old[SYSCTL_FILE] = ad.read(SYSCTL_FILE)
    if SYSCTL_FILE in want:
        for key, value in sorted(SYSCTL.items()):
            live = ad.read("/proc/sys/" + key.replace(".", "/"))
            if live is not None and live.strip() != value:
                p.sysctl[key] = value
    for name in ad.listdir(rh.TLS_DIR):
        path = "%s/%s" % (rh.TLS_DIR, name)
        if path not in want:
            p.remove.append(path)
            p.secret.add(path)
            p.old[path] = ad.read(path)
    for unit, config, wanted in ((HAPROXY, rh.CONFIG, bool(edge.balancers)), (SQUID, rs.CONFIG, bool(edge.proxy))):
        if wanted:
            if not ad.unit_enabled(unit):
                p.enable.append(unit)
            if not ad.unit_active(unit):
                p.start.append(unit)
            elif config in p.write or (unit == HAPROXY and any(x.endswith(".pem") for x in p.write)):
                p.reload.append(unit)
        else:
            old = ad.read(config)
            if old and old.startswith(MANAGED):
                p.remove.append(config)
                p.old[config] = old
                p.stop.append(unit)
    p.endpoints = [(b.bind_address or "127.0.0.1", b.bind_port) for b in edge.balancers]
    if edge.proxy:
        p.endpoints += [(a, edge.proxy.port) for a in edge.proxy.listen or ["127.0.0.1"]]
    return p


def execute(p, ad, wait_s=30):
    for unit in p.stop:
        ad.systemctl("disable", "--now", unit)
    for path, (content, mode) in sorted(p.write.items()):
        ad.write(path, content, mode)
    for path in p.remove:
        ad.remove(path)
    for key, value in sorted(p.sysctl.items()):
        ad.run_ok(["sysctl", "-q", "-w", "%s=%s" % (key, value)])
    if p.enable:
        ad.must("enable", *p.enable)
    for unit in p.reload:
        ad.must("reload", unit)
    if p.start:
        ad.must("start", *p.start)
    late = ad.wait_listening(p.endpoints, wait_s) if (p.start or p.reload) else []
    if late:
        raise ServiceError("not listening after %d s: %s" % (wait_s, ", ".join("%s:%d" % e for e in late)))


def plan_absent(ad):
    p = Plan()
    if ad.read(SYSCTL_FILE) is not None:
        p.remove.append(SYSCTL_FILE)
        p.old[SYSCTL_FILE] = ad.read(SYSCTL_FILE)
    for unit, config in ((HAPROXY, rh.CONFIG), (SQUID, rs.CONFIG)):
        old = ad.read(config)
        if old and old.startswith(MANAGED):
            p.remove.append(config)
            p.old[config] = old
            p.stop.append(unit)
    for name in ad.listdir(rh.TLS_DIR):
        path = "%s/%s" % (rh.TLS_DIR, name)
        p.remove.append(path)
        p.secret.add(path)
        p.old[path] = ad.read(path)
    return p
