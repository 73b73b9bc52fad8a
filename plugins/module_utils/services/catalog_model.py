# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service catalog model: the central catalog, the services one appliance runs, its tenant's grant.

``build(params)`` returns a ``Desired`` or raises ``ValidationError`` naming the field path. A service
the appliance's tenant does not authorize is refused here, before anything is pushed or changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.azblink.nfv.plugins.module_utils import fields as f
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError

KINDS = ("oci", "deb")
STATES = ("started", "stopped", "absent")
CHECKS = ("http", "tcp")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+~:_-]{0,63}$")
PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
UNIT_RE = re.compile(r"^[A-Za-z0-9@_.:-]+\.service$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
URLPATH_RE = re.compile(r"^/[A-Za-z0-9._~/%?=&+-]*$")


class Health(object):
    def __init__(self, kind, port, path, timeout_s):
        self.kind, self.port, self.path, self.timeout_s = kind, port, path, timeout_s

    def as_dict(self):
        return {"type": self.kind, "port": self.port, "path": self.path, "timeout_s": self.timeout_s}


class Entry(object):
    """One catalog entry: a name at a version, its artefact, default config and health check."""

    def __init__(self, name, version, kind, image, package, unit, command, environment, config, mount, health):
        self.name, self.version, self.kind = name, version, kind
        self.image, self.package, self.unit = image, package, unit
        self.command, self.environment = command, environment
        self.config, self.mount, self.health = config, mount, health


class Service(object):
    """A catalog entry as one appliance runs it."""

    def __init__(self, entry, state, config):
        self.entry, self.state, self.config = entry, state, config

    @property
    def name(self):
        return self.entry.name

    @property
    def version(self):
        return self.entry.version


class Desired(object):
    def __init__(self, tenant, services):
        self.tenant, self.services = tenant, services


def _version(value, path):
    value = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if not isinstance(value, str) or not VERSION_RE.match(value):
        raise ValidationError(path, "%r is not a version (letters, digits, . + ~ : _ -)" % (value,))
    return value


def _files(value, path):
    """Config files {relative path: text}; no absolute paths, no '..'."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(path, "must be a dict of relative path -> content")
    out = {}
    for rel, text in sorted(value.items()):
        norm = posixpath.normpath(str(rel))
        if rel in ("", None) or str(rel).startswith("/") or norm.startswith("..") or norm == ".":
            raise ValidationError("%s[%r]" % (path, rel), "must be a relative path inside the config directory")
        if not isinstance(text, str):
            raise ValidationError("%s[%r]" % (path, rel), "content must be text")
        out[norm] = text
    return out


def _health(h, path):
    if not isinstance(h, dict):
        raise ValidationError(path, "is required (type, port[, path])")
    kind = f.get(h, "type", "tcp")
    if kind not in CHECKS:
        raise ValidationError(path + ".type", "%r is not one of %s" % (kind, ", ".join(CHECKS)))
    port = f.port(f.need(h, "port", path), path + ".port")
    hpath = f.get(h, "path", "/")
    if not isinstance(hpath, str) or not URLPATH_RE.match(hpath):
        raise ValidationError(path + ".path", "%r is not an absolute URL path" % (hpath,))
    timeout = f.integer(f.get(h, "timeout_s", 20), path + ".timeout_s", 1, 600)
    return Health(kind, port, hpath, timeout)


def _entry(e, i):
    path = "catalog[%d]" % i
    if not isinstance(e, dict):
        raise ValidationError(path, "must be a dict")
    name = f.name(f.need(e, "name", path), path + ".name")
    version = _version(f.need(e, "version", path), path + ".version")
    kind = f.get(e, "kind", "oci")
    if kind not in KINDS:
        raise ValidationError(path + ".kind", "%r is not one of %s" % (kind, ", ".join(KINDS)))
    art = e.get("artefact")
    if not isinstance(art, dict):
        raise ValidationError(path + ".artefact", "is required (oci: image; deb: package, unit)")
    image = package = unit = None
    if kind == "oci":
        image = f.need(art, "image", path + ".artefact")
        if not isinstance(image, str):
            raise ValidationError(path + ".artefact.image", "must be the path of an OCI image tarball")
    else:
        package = f.need(art, "package", path + ".artefact")
        if not isinstance(package, str) or not PACKAGE_RE.match(package):
            raise ValidationError(path + ".artefact.package", "%r is not a Debian package name" % (package,))
        unit = f.need(art, "unit", path + ".artefact")
        if not isinstance(unit, str) or not UNIT_RE.match(unit):
            raise ValidationError(path + ".artefact.unit", "%r is not a systemd service name" % (unit,))
    command = e.get("command")
    if command is not None and (not isinstance(command, list) or not command
                                or not all(isinstance(c, str) and c for c in command)):
        raise ValidationError(path + ".command", "must be a non-empty list of strings")
    if command is not None and kind == "deb":
        raise ValidationError(path + ".command", "a deb service runs its package's unit")
    env = f.get(e, "environment", {})
    if not isinstance(env, dict):
        raise ValidationError(path + ".environment", "must be a dict")
    for k in env:
        if not ENV_RE.match(str(k)):
            raise ValidationError("%s.environment[%r]" % (path, k), "is not a variable name")
    config = _files(e.get("config"), path + ".config")
    mount = f.get(e, "config_mount", "/config")
    if not isinstance(mount, str) or not mount.startswith("/") or ".." in mount.split("/"):
        raise ValidationError(path + ".config_mount", "%r is not an absolute path" % (mount,))
    health = _health(e.get("health"), path + ".health")
    return Entry(name, version, kind, image, package, unit, command,
                 dict((str(k), str(v)) for k, v in env.items()), config, mount, health)


def catalog(items):
    if not isinstance(items, list):
        raise ValidationError("catalog", "must be a list")
    entries = [_entry(e, i) for i, e in enumerate(items)]
    f.unique(entries, lambda e: (e.name, e.version), "catalog", "name and version")
    for i, e in enumerate(entries):
        for j, other in enumerate(entries[:i]):
            if other.name == e.name and other.kind != e.kind:
                raise ValidationError("catalog[%d].kind" % i, "%r is %s in catalog[%d]; one kind per service"
                                      % (e.name, other.kind, j))
    return entries


def build(params):
    entries = catalog(params.get("catalog") or [])
    items = params.get("services") or []
    if not isinstance(items, list):
        raise ValidationError("services", "must be a list")
    tenant = params.get("tenant")
    tenants = params.get("tenants") or {}
    if not isinstance(tenants, dict):
        raise ValidationError("tenants", "must be a dict of tenant -> authorized service names")
    if items:
        if not tenant:
            raise ValidationError("tenant", "is required to run services (the appliance's tenant)")
        if tenant not in tenants:
            raise ValidationError("tenant", "%r is not in tenants (%s)" % (tenant, ", ".join(sorted(tenants)) or "none"))
    granted = tenants.get(tenant) or []
    services = []
    for i, s in enumerate(items):
        path = "services[%d]" % i
        if not isinstance(s, dict):
            raise ValidationError(path, "must be a dict")
        name = f.name(f.need(s, "name", path), path + ".name")
        versions = [e for e in entries if e.name == name]
        if not versions:
            raise ValidationError(path + ".name", "%r is not in the catalog" % name)
        state = f.get(s, "state", "started")
        if state not in STATES:
            raise ValidationError(path + ".state", "%r is not one of %s" % (state, ", ".join(STATES)))
        if state != "absent" and name not in granted:
            raise ValidationError(path + ".name", "tenant %r does not authorize %r (authorized: %s)"
                                  % (tenant, name, ", ".join(granted) or "nothing"))
        version = _version(f.need(s, "version", path), path + ".version")
        entry = next((e for e in versions if e.version == version), None)
        if entry is None:
            raise ValidationError(path + ".version", "%r has no version %r in the catalog (%s)"
                                  % (name, version, ", ".join(e.version for e in versions)))
        config = dict(entry.config)
        config.update(_files(s.get("config"), path + ".config"))
        services.append(Service(entry, state, config))
    f.unique(services, lambda s: s.name, "services", "service")
    ports = {}
    for i, s in enumerate(services):
        if s.state == "absent":
            continue
        port = s.entry.health.port
        if port in ports:
            raise ValidationError("services[%d]" % i, "%r and %r both answer on port %d"
                                  % (services[ports[port]].name, s.name, port))
        ports[port] = i
    return Desired(tenant, services)
