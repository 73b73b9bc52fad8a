#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the work is done by the action plugin of the same name (plugins/action).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_validate_roles
short_description: Check the variables of several of the collection's roles against their argument specs, in one task
version_added: 0.1.0
description:
  - Checks, for each role in O(roles), the play's variables that role reads against the role's own
    argument specification (C(roles/ROLE/meta/argument_specs.yml), entry point C(main)), as Ansible
    checks a role's variables when the role starts, and fails naming every role and variable that
    does not match, before any of those roles runs.
  - The site role (C(azblink.nfv.site)) runs it once for the roles it includes and includes them
    with C(rolespec_validate=false); Ansible's own check cost a task per role on every box of a fleet.
  - Runs on the controller; no round trip to the box.
author:
  - azblink engineering (@azblink)
options:
  roles:
    description: The roles to check, by short name (C(wan)) or full name (C(azblink.nfv.wan)).
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    description: Checks the same way in check mode; changes nothing in any mode.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    platforms: all
    support: full
    description: Runs on the controller.
notes:
  - An action plugin; it reads the argument specs from the installed collection.
"""

EXAMPLES = r"""
- name: Check the variables of the roles below (one task, not one per role)
  azblink.nfv.azb_validate_roles:
    roles: [wan, pki, vpn, workloads]

- name: The WAN links
  ansible.builtin.include_role:
    name: azblink.nfv.wan
    rolespec_validate: false
"""

RETURN = r"""
validated_roles:
  description: The roles checked, by full name.
  returned: always
  type: list
  elements: str
  sample: [azblink.nfv.wan, azblink.nfv.vpn]
argument_errors:
  description: Each mismatch, as the role and Ansible's message.
  returned: failed
  type: list
  elements: str
  sample: ["azblink.nfv.wan: argument 'azb_wan_mode' is of type int and we were unable to convert to str"]
"""
