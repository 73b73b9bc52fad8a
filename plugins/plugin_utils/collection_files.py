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


def collection_version(root=ROOT):
    manifest = os.path.join(root, "MANIFEST.json")
    if os.path.exists(manifest):
        with open(manifest) as fh:
            return str(json.load(fh)["collection_info"]["version"])
    with open(os.path.join(root, "galaxy.yml")) as fh:
        return str(yaml.safe_load(fh)["version"])


@functools.lru_cache(maxsize=None)
def role_defaults(role, root=ROOT):
    """roles/ROLE/defaults/main.yml as a dict."""
    with open(os.path.join(root, "roles", role, "defaults", "main.yml")) as fh:
        return yaml.safe_load(fh) or {}
