# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``azb_vm_plan``: the workloads role's inventory check and resolution, on the controller,
before anything on the box changes (see plugins/module_utils/vm/profiles.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, profiles


def azb_vm_plan(vms, zones=None, custom_profiles=None, host=None, defaults=None):
    try:
        return profiles.resolve(vms, zones or [], custom_profiles or {}, host or {}, defaults or {})
    except model.SpecError as e:
        raise AnsibleFilterError("azb_vms rejected: " + "; ".join("%s: %s" % err for err in e.errors))


class FilterModule(object):
    def filters(self):
        return {"azb_vm_plan": azb_vm_plan}
