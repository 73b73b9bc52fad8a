#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_box_facts
short_description: Learn what the site's roles read of the box (distribution, memory, vCPUs, packages, cgroups) in one call
version_added: 0.1.0
description:
  - Returns, as facts, the distribution (C(distribution), C(distribution_version),
    C(distribution_major_version), C(os_family)), C(memtotal_mb) and C(processor_vcpus), computed by
    Ansible's own fact collectors, so they equal what C(ansible.builtin.setup) reports;
    C(azb_installed_packages), the packages dpkg's database says are installed; and
    C(azb_cgroups_writable), whether C(/sys/fs/cgroup) is writable (the hypervisor role's probe).
  - C(playbooks/site.yml) calls it instead of gathering every fact subset and asking dpkg in a
    second call; the roles read nothing else of the box's facts. The hypervisor role (and so every
    role that depends on it, workloads for one) calls it itself when the play has not, so a play of
    those roles needs no C(gather_facts).
  - Read-only; always reports C(changed=false).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common.read_only
  - azblink.nfv.common
options: {}
requirements:
  - dpkg-query on the appliance (Debian)
"""

EXAMPLES = r"""
- name: Learn what the roles read of the box in one call (instead of gather_facts and dpkg-query)
  azblink.nfv.azb_box_facts:

- name: Use them
  ansible.builtin.debug:
    msg: "{{ ansible_facts['distribution'] }} {{ ansible_facts['memtotal_mb'] }} MiB, {{ ansible_facts['azb_installed_packages'] | length }} packages"
"""

RETURN = r"""
ansible_facts:
  description: What the roles read.
  returned: always
  type: dict
  contains:
    distribution:
      description: As C(ansible.builtin.setup) reports it.
      type: str
      returned: always
      sample: Debian
    distribution_version:
      description: As C(ansible.builtin.setup) reports it.
      type: str
      returned: always
      sample: "12.8"
    distribution_major_version:
      description: As C(ansible.builtin.setup) reports it.
      type: str
      returned: always
      sample: "12"
    os_family:
      description: As C(ansible.builtin.setup) reports it.
      type: str
      returned: always
      sample: Debian
    memtotal_mb:
      description: As C(ansible.builtin.setup) reports it.
      type: int
      returned: always
    processor_vcpus:
      description: As C(ansible.builtin.setup) reports it.
      type: int
      returned: always
    azb_installed_packages:
      description: Names of the packages dpkg's database says are installed.
      type: list
      elements: str
      returned: always
    azb_cgroups_writable:
      description: Whether C(/sys/fs/cgroup) is writable (it is not inside a container).
      type: bool
      returned: always
"""

from ansible_collections.azblink.nfv.plugins.module_utils import box_facts
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule


def main():
    module = AuditedModule(argument_spec={}, supports_check_mode=True)
    try:
        facts = box_facts.gather(module)
    except box_facts.BoxFactsError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, ansible_facts=facts)


if __name__ == "__main__":
    main()
