# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own version: MANIFEST.json when installed from a tarball, else galaxy.yml."""
from __future__ import annotations

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
