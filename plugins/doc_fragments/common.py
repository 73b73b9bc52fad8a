# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Shared by every azb module: where it runs and what it promises (check and diff mode)."""

    DOCUMENTATION = r"""
options: {}
notes:
  - Runs on the appliance (a Debian 12 host). Supports C(check_mode); part of the C(azblink.nfv.azb)
    action group, so C(module_defaults) for C(group/azblink.nfv.azb) reaches it.
attributes:
  check_mode:
    support: full
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Returns what changes (or would change, in check mode) on the box, never secrets.
  platform:
    platforms: debian
    support: full
    description: Target OS/families that can be operated against.
"""

    # A read-only module lists azblink.nfv.common.read_only before azblink.nfv.common: the first
    # fragment's attributes win, so diff mode reads "none" instead of "full".
    READ_ONLY = r"""
attributes:
  diff_mode:
    support: none
    description: Read-only; it changes nothing that outlives the run, so there is nothing to diff.
"""
