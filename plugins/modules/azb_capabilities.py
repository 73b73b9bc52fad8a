#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_capabilities
short_description: Probe which network features the appliance's kernel really has
version_added: 0.1.0
description:
  - Tries each feature (VRF, VLAN, bridge VLAN filtering, kernel WireGuard, IPsec ESP, qdiscs such as
    HTB, TBF, SFQ, fq_codel, netem, ingress, IFB, TUN/TAP, nftables verdict maps) in a throwaway
    network namespace and reports which work. The host's own network is never touched.
  - Other roles use the answer to choose an implementation (for example C(wireguard-go) where the
    kernel has no WireGuard), and live tests use it to skip with the kernel's own reason.
  - Read-only; always reports C(changed=false).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common.read_only
  - azblink.nfv.common
options:
  probes:
    description:
      - Names of the probes to run. All of them by default.
    type: list
    elements: str
    choices: [nftables, bridge, bridge_vlan_filtering, vlan, vrf, wireguard_kernel, ipsec_esp,
              qdisc_htb, qdisc_tbf, qdisc_sfq, qdisc_fq_codel, qdisc_netem, qdisc_ingress, ifb, tun]
requirements:
  - util-linux C(unshare), iproute2, nftables on the appliance
"""

EXAMPLES = r"""
- name: Learn what the kernel can do
  azblink.nfv.azb_capabilities:
  register: caps

- name: Use wireguard-go where the kernel has no WireGuard
  ansible.builtin.set_fact:
    wg_impl: "{{ 'kernel' if caps.capabilities.wireguard_kernel else 'wireguard-go' }}"
"""

RETURN = r"""
capabilities:
  description: Probe name to whether the feature works, plus C(kvm) and C(cgroups_writable).
  returned: always
  type: dict
  sample: {"vrf": false, "qdisc_htb": true, "wireguard_kernel": false, "kvm": false}
reasons:
  description: For each missing feature, what the kernel answered.
  returned: always
  type: dict
  sample: {"vrf": "VRF devices unavailable: Error: Unknown device type."}
ansible_facts:
  description: The same answers as facts.
  returned: always
  type: dict
  contains:
    azb_capabilities:
      description: Same as RV(capabilities).
      type: dict
      returned: always
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.capabilities import PROBES, gather


def main():
    module = AuditedModule(
        argument_spec=dict(probes=dict(type="list", elements="str", choices=sorted(PROBES))),
        supports_check_mode=True,
    )
    caps, reasons = gather(module.run_command, module.params["probes"])
    module.exit_json(changed=False, capabilities=caps, reasons=reasons,
                     ansible_facts={"azb_capabilities": caps})


if __name__ == "__main__":
    main()
