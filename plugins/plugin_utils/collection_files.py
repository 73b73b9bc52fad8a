# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's own files say: its version (MANIFEST.json when installed from a tarball,
else galaxy.yml) and a role's defaults (so an action that stands in for a role's tasks takes the
role's defaults file as its one source)."""
from __future__ import annotations

import functools
import json
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# libyaml's loader where PyYAML has it: these files are read in Ansible's workers, a fresh fork per
# task and box, so nothing read once stays read (the pure-Python loader took ~5 ms per spec file).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=_LOADER)  # nosec B506 - a safe loader, C or Python


def collection_version(root=ROOT):
    manifest = os.path.join(root, "MANIFEST.json")
    if os.path.exists(manifest):
        with open(manifest) as fh:
            return str(json.load(fh)["collection_info"]["version"])
    return str(_load(os.path.join(root, "galaxy.yml"))["version"])


@functools.lru_cache(maxsize=None)
def role_defaults(role, root=ROOT):
    """roles/ROLE/defaults/main.yml as a dict."""
    return _load(os.path.join(root, "roles", role, "defaults", "main.yml")) or {}


@functools.lru_cache(maxsize=None)
def role_argument_spec(role, entry_point="main", root=ROOT):
    """The options of roles/ROLE/meta/argument_specs.yml's entry point ({} when it declares none)."""
    if not os.path.isdir(os.path.join(root, "roles", role)):
        raise ValueError("no role %r in the collection (%s)" % (role, os.path.join(root, "roles")))
    path = os.path.join(root, "roles", role, "meta", "argument_specs.yml")
    if not os.path.exists(path):
        return {}  # a role that declares no spec: nothing to check
    specs = (_load(path) or {}).get("argument_specs") or {}
    return (specs.get(entry_point) or {}).get("options") or {}
