# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change for the catalog services of one appliance (``plan``), doing it (``execute``), and
what runs (``gather``).

Live state is the truth: each service's state record, its root directory, its unit file, systemd's
view of the unit, the installed package version (deb). One code path for check mode and a real run.
An update unpacks the new version beside the running one, switches the unit, and keeps the old root
until the new version answers its health check; if it does not within the bound, the old version is
put back and the run fails.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import time

from ansible_collections.azblink.nfv.plugins.module_utils.services import oci
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_unit as ru
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import ServiceError


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Step(object):
    """The change of one service."""

    def __init__(self, name):
        self.name = name
        self.svc = None          # desired Service (None: remove)
        self.old = None          # live state record (dict) or None
        self.unpack = None       # (archive, rootfs) to unpack
        self.install = None      # "pkg=version" (deb)
        self.uninstall = None    # package to remove (deb)
        self.write = {}          # path -> content
        self.before = {}         # path -> old content
        self.remove = []         # paths
        self.restart = self.start = self.enable = self.stop = False
        self.sha = None

    @property
    def changed(self):
        return bool(self.unpack or self.install or self.uninstall or self.write or self.remove
                    or self.restart or self.start or self.enable or self.stop)

    def actions(self):
        out = []
        if self.unpack:
            out.append("%s: unpack %s into %s" % (self.name, self.unpack[0], self.unpack[1]))
        if self.install:
            out.append("%s: apt-get install %s" % (self.name, self.install))
        out += ["%s: write %s" % (self.name, p) for p in sorted(self.write)]
        for flag, what in ((self.enable, "enable"), (self.start, "start"), (self.restart, "restart"),
                           (self.stop, "stop and disable")):
            if flag:
                out.append("%s: %s %s" % (self.name, what, self.unit()))
        if self.uninstall:
            out.append("%s: apt-get remove %s" % (self.name, self.uninstall))
        out += ["%s: remove %s" % (self.name, p) for p in self.remove]
        return out

    def unit(self):
        if self.svc is not None:
            return self.svc.entry.unit if self.svc.entry.kind == "deb" else ru.unit_name(self.name)
        return (self.old or {}).get("unit") or ru.unit_name(self.name)


class Plan(object):
    def __init__(self):
        self.steps = []

    @property
    def changed(self):
        return any(s.changed for s in self.steps)

    def actions(self):
        return [a for s in self.steps for a in s.actions()]

    def diff(self):
        d = []
        for s in self.steps:
            if not s.changed:
                continue
            before = "%s %s\n" % (s.name, (s.old or {}).get("version", "(not installed)"))
            after = "%s %s\n" % (s.name, "(removed)" if s.svc is None or s.svc.state == "absent"
                                 else "%s (%s)" % (s.svc.version, s.svc.state))
            d.append({"before_header": "service %s" % s.name, "after_header": "service %s" % s.name,
                      "before": before, "after": after})
            for path in sorted(set(s.write) | set(s.remove)):
                if path.endswith(".oci.tar") or "/rootfs-" in path:
                    continue
                d.append({"before_header": path, "after_header": path, "before": s.before.get(path) or "",
                          "after": s.write.get(path, "")})
        return d


def live_states(ad):
    out = {}
    for name in ad.listdir(ru.STATE_DIR):
        text = ad.read(ru.state_path(name))
        if text:
            try:
                out[name] = json.loads(text)
            except ValueError:
                out[name] = {"name": name, "version": None}
    return out


def _config_files(svc):
    return dict(("%s/%s" % (ru.config_dir(svc.name), rel), text) for rel, text in svc.config.items())


def _walk(ad, root):
    out = []
    for dirpath, _dirs, files in os.walk(root) if ad.exists(root) else []:
        out += [os.path.join(dirpath, n) for n in files]
    return sorted(out)


def _plan_removal(step, ad):
    old = step.old or {}
    step.stop = True
    if old.get("kind") == "deb" and old.get("package"):
        step.uninstall = old["package"]
    step.remove.append(os.path.join(ru.STATE_DIR, step.name))
    if ad.exists(ru.config_dir(step.name)):
        step.remove.append(ru.config_dir(step.name))
    unit_file = "%s/%s" % (ru.UNIT_DIR, ru.unit_name(step.name))
    if ad.exists(unit_file):
        step.before[unit_file] = ad.read(unit_file)
        step.remove.append(unit_file)
    for art in ad.listdir(ru.ARTEFACT_DIR):
        if art.startswith(step.name + "_"):
            step.remove.append("%s/%s" % (ru.ARTEFACT_DIR, art))


def _plan_service(step, svc, ad, check_mode):
    e = svc.entry
    old = step.old or {}
    files = _config_files(svc)
    if e.kind == "oci":
        archive = ru.artefact_path(e.name, e.version)
        root = ru.rootfs(e.name, e.version)
        if ad.exists(archive):
            step.sha = sha256_file(archive)
            proc = oci.read_process(archive)
        elif check_mode:
            step.sha, proc = "(not pushed yet)", {"argv": e.command or ["(from the image)"], "env": {}, "workdir": "/"}
        else:
            raise ServiceError("services: the artefact of %s %s is not on the box at %s (the services role"
                               " pushes it)" % (e.name, e.version, archive))
        if (old.get("version") != e.version or old.get("artefact_sha256") != step.sha
                or not ad.exists(os.path.join(root, ".azb-unpacked"))):
            step.unpack = (archive, root)
        files["%s/%s" % (ru.UNIT_DIR, ru.unit_name(e.name))] = ru.unit(svc, proc)
        unit = ru.unit_name(e.name)
        # Roots of other versions and artefacts no longer wanted go once the new version is healthy.
        for entry in ad.listdir(os.path.join(ru.STATE_DIR, e.name)):
            if entry.startswith("rootfs-") and entry != os.path.basename(root):
                step.remove.append(os.path.join(ru.STATE_DIR, e.name, entry))
        for art in ad.listdir(ru.ARTEFACT_DIR):
            if art.startswith(e.name + "_") and "%s/%s" % (ru.ARTEFACT_DIR, art) != archive:
                step.remove.append("%s/%s" % (ru.ARTEFACT_DIR, art))
    else:
        unit = e.unit
        have = ad.package_version(e.package)
        if have != e.version:
            step.install = "%s=%s" % (e.package, e.version)
        step.sha = None
    files[ru.state_path(e.name)] = ru.state(svc, step.sha)
    for path, content in sorted(files.items()):
        before = ad.read(path)
        step.before[path] = before
        if before != content:
            step.write[path] = content
    for path in _walk(ad, ru.config_dir(e.name)):
        if path not in files:
            step.remove.append(path)
            step.before[path] = ad.read(path)
    # The state record alone changing (e.g. the artefact's checksum noted) needs no restart.
    runtime = bool(step.unpack or step.install or step.remove
                   or any(path != ru.state_path(e.name) for path in step.write))
    if svc.state == "started":
        step.enable = not ad.unit_enabled(unit)
        active = ad.unit_active(unit)
        step.start = not active
        step.restart = active and runtime
    else:
        step.stop = ad.unit_enabled(unit) or ad.unit_active(unit)


def plan(desired, ad, check_mode=False):
    p = Plan()
    live = live_states(ad)
    wanted = dict((s.name, s) for s in desired.services if s.state != "absent")
    for name in sorted(set(live) | set(s.name for s in desired.services)):
        step = Step(name)
        step.old = live.get(name)
        if name in wanted:
            step.svc = wanted[name]
            _plan_service(step, step.svc, ad, check_mode)
        elif name in live:
            _plan_removal(step, ad)
        p.steps.append(step)
    return p


def _unit_of(step):
    return step.unit()


def execute(p, ad, probe):
    """Apply every step; ``probe(health) -> bool`` is the service's own health check."""
    reload_needed = any(path.startswith(ru.UNIT_DIR) for s in p.steps for path in list(s.write) + s.remove)
    for s in p.steps:
        if s.svc is None and s.changed:
            ad.systemctl("disable", "--now", _unit_of(s))
            if s.uninstall:
                ad.run_ok(["apt-get", "remove", "-y", s.uninstall], what="apt-get remove %s" % s.uninstall)
            for path in s.remove:
                ad.remove(path)
    for s in p.steps:
        if s.svc is None or not s.changed:
            continue
        if s.unpack:
            archive, root = s.unpack
            tmp = root + ".new"
            ad.remove(tmp)
            oci.unpack(archive, tmp)
            ad.write(os.path.join(tmp, ".azb-unpacked"), s.sha + "\n")
            ad.remove(root)
            os.rename(tmp, root)
        if s.install:
            ad.run_ok(["apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades", s.install],
                      what="apt-get install %s" % s.install)
        for path, content in sorted(s.write.items()):
            ad.write(path, content, 0o644)
    if reload_needed:
        ad.must("daemon-reload")
    for s in p.steps:
        if s.svc is None or not s.changed:
            continue
        unit = _unit_of(s)
        if s.stop:
            ad.systemctl("disable", "--now", unit)
        if s.enable:
            ad.must("enable", unit)
        if s.restart:
            ad.must("restart", unit)
        elif s.start:
            ad.must("start", unit)
        if s.svc.state == "started" and (s.restart or s.start):
            _wait_healthy(s, ad, probe)
        for path in s.remove:
            ad.remove(path)


def _wait_healthy(s, ad, probe):
    h = s.svc.entry.health
    t0 = time.monotonic()
    while time.monotonic() - t0 < h.timeout_s:
        if probe(h):
            return
        time.sleep(0.2)
    old = s.old or {}
    if old.get("version") and old.get("version") != s.svc.version and old.get("kind") == "oci" \
            and ad.exists(ru.rootfs(s.name, old["version"])):
        # Put the previous version back: its root is still there, its unit names it.
        unit_file = "%s/%s" % (ru.UNIT_DIR, ru.unit_name(s.name))
        ad.write(unit_file, s.before.get(unit_file) or "", 0o644)
        ad.write(ru.state_path(s.name), json.dumps(old, sort_keys=True, indent=1) + "\n", 0o644)
        ad.must("daemon-reload")
        ad.systemctl("restart", ru.unit_name(s.name))
        raise ServiceError("%s %s did not pass its health check within %d s; %s is running again"
                           % (s.name, s.svc.version, h.timeout_s, old["version"]))
    raise ServiceError("%s %s did not pass its health check within %d s" % (s.name, s.svc.version, h.timeout_s))


def gather(ad, probe):
    """The status fact: per service version, running, enabled, healthy and counters."""
    out = {}
    for name, st in sorted(live_states(ad).items()):
        unit = st.get("unit") or ru.unit_name(name)
        props = ad.show(unit, ["ActiveState", "SubState", "UnitFileState", "NRestarts", "MemoryCurrent",
                               "CPUUsageNSec", "ActiveEnterTimestamp", "MainPID"])
        health = st.get("health") or {}
        version = st.get("version")
        if st.get("kind") == "deb" and st.get("package"):
            version = ad.package_version(st["package"]) or version
        out[name] = {
            "version": version,
            "kind": st.get("kind"),
            "unit": unit,
            "running": props.get("ActiveState") == "active",
            "state": "%s/%s" % (props.get("ActiveState"), props.get("SubState")),
            "enabled": props.get("UnitFileState") == "enabled",
            "healthy": bool(health) and props.get("ActiveState") == "active" and probe(_Health(health)),
            "since": props.get("ActiveEnterTimestamp") or None,
            "counters": {"restarts": _int(props.get("NRestarts")),
                         "memory_bytes": _int(props.get("MemoryCurrent")),
                         "cpu_ns": _int(props.get("CPUUsageNSec"))},
        }
    return out


class _Health(object):
    def __init__(self, d):
        self.kind, self.port, self.path = d.get("type"), d.get("port"), d.get("path", "/")
        self.timeout_s = d.get("timeout_s", 20)


def _int(value):
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return None if n >= 2 ** 63 else n
