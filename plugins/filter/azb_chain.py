# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``azb_chain_vm_guests``: what the guest of each ``vm`` VNF needs (its NICs' bridges, its
addresses, the lab guest's command line), from the chain model, so azb_vms can be written from it
(see plugins/module_utils/chain/render.py vm_guest)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, render
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError


def azb_chain_vm_guests(vnfs, service_network="10.255.0.0/16"):
    try:
        # Only the VNFs decide a guest's bridges and addresses (their order and the service network).
        site = model.build({"vnfs": vnfs or [], "service_network": service_network})
    except ValidationError as e:
        raise AnsibleFilterError("azb_vnfs rejected: %s" % e)
    return dict((g["vm"], dict(g, vnf=name)) for name, g in render.vm_guests(site).items())


class FilterModule(object):
    def filters(self):
        return {"azb_chain_vm_guests": azb_chain_vm_guests}
