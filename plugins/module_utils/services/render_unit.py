# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers for catalog services: paths on the box, the systemd unit, the state record."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shlex

ARTEFACT_DIR = "/var/lib/azblink/artefacts"
STATE_DIR = "/var/lib/azblink/services"
CONFIG_DIR = "/etc/azblink/services/catalog"
UNIT_DIR = "/etc/systemd/system"


def unit_name(svc_name):
    return "azb-svc-%s.service" % svc_name


def artefact_path(name, version):
    return "%s/%s_%s.oci.tar" % (ARTEFACT_DIR, name, version)


def rootfs(name, version):
    return "%s/%s/rootfs-%s" % (STATE_DIR, name, version)


def state_path(name):
    return "%s/%s/state.json" % (STATE_DIR, name)


def config_dir(name):
    return "%s/%s" % (CONFIG_DIR, name)


def _quote(arg):
    # systemd's ExecStart quoting is close to the shell's for plain words; '%' and '$' are its own.
    return shlex.quote(arg).replace("%", "%%").replace("$", "$$")


def unit(svc, proc):
    """The unit of an OCI service: the image's root, its process (or the catalog's command), config
    files bound read-only, its own journal (SyslogIdentifier)."""
    e = svc.entry
    argv = e.command or proc["argv"]
    env = dict(proc.get("env") or {})
    env.update(e.environment)
    lines = ["# Managed by azblink.nfv (azb_services): catalog service %s %s" % (e.name, e.version),
             "[Unit]",
             "Description=azblink catalog service %s %s" % (e.name, e.version),
             "After=network-online.target",
             "Wants=network-online.target",
             "",
             "[Service]",
             "RootDirectory=%s" % rootfs(e.name, e.version),
             "BindReadOnlyPaths=%s:%s" % (config_dir(e.name), e.mount),
             "MountAPIVFS=yes",
             "WorkingDirectory=%s" % (proc.get("workdir") or "/")]
    for key in sorted(env):
        lines.append("Environment=%s" % _quote("%s=%s" % (key, env[key])))
    lines += ["ExecStart=%s" % " ".join(_quote(a) for a in argv),
              "SyslogIdentifier=azb-svc-%s" % e.name,
              "Restart=on-failure",
              "RestartSec=1",
              "NoNewPrivileges=yes",
              "",
              "[Install]",
              "WantedBy=multi-user.target",
              ""]
    return "\n".join(lines)


def state(svc, sha256):
    e = svc.entry
    return json.dumps({"name": e.name, "version": e.version, "kind": e.kind,
                       "unit": e.unit if e.kind == "deb" else unit_name(e.name),
                       "package": e.package, "artefact_sha256": sha256,
                       "health": e.health.as_dict()}, sort_keys=True, indent=1) + "\n"
