# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_edge_services runs through the audited modules' action (plugins/plugin_utils/audited_action.py)."""
from __future__ import annotations
from ansible_collections.azblink.nfv.plugins.plugin_utils.audited_action import ActionModule  # noqa: F401 pylint: disable=unused-import
