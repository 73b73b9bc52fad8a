# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles read of the box (azb_box_facts, and azb_files' ``facts``): the distribution,
memory and vCPUs by Ansible's own fact collectors (so they equal what ansible.builtin.setup
reports), the packages dpkg's database says are installed, and whether cgroups are writable.

The collectors are imported when the facts are asked for, so a module that only may ask (azb_files)
does not load them on every call. Ansible still bundles them into every module importing this file
(it finds imports anywhere in the code): a module that does not learn facts imports dpkg.py, not
this."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform

from ansible_collections.azblink.nfv.plugins.module_utils.dpkg import DPKG_QUERY, installed_packages

DISTRIBUTION_KEYS = ("distribution", "distribution_version", "distribution_major_version", "os_family")


class BoxFactsError(Exception):
    pass


def gather(module):
    """-> the facts (ansible_facts keys) for ``module`` (an AnsibleModule: the collectors take it)."""
    from ansible.module_utils.facts.hardware.linux import LinuxHardware
    from ansible.module_utils.facts.system.distribution import Distribution

    facts = {}
    for key, value in Distribution(module).get_distribution_facts().items():
        if key in DISTRIBUTION_KEYS:
            facts["ansible_" + key] = value
    hardware = LinuxHardware(module)
    facts["ansible_memtotal_mb"] = hardware.get_memory_facts().get("memtotal_mb")
    cpu = hardware.get_cpu_facts(collected_facts={"ansible_architecture": platform.machine()})
    facts["ansible_processor_vcpus"] = cpu.get("processor_vcpus")
    rc, out, err = module.run_command(DPKG_QUERY)
    if rc != 0:
        raise BoxFactsError("dpkg-query failed: %s" % (err or out).strip())
    facts["azb_installed_packages"] = installed_packages(out)
    # as the hypervisor role's probe (test -w): access(2), so a read-only mount answers no
    facts["azb_cgroups_writable"] = os.access("/sys/fs/cgroup", os.W_OK)
    return facts
