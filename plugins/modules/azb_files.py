#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_files
short_description: Put a role's files and directories on the box, with their systemd units, in one module call
version_added: 0.1.0
description:
  - Makes each listed path a directory, a file with the given content, or absent, with its mode,
    owner and group. Every entry is checked before anything changes; a file's new content is
    written atomically with its mode from the first byte.
  - One call for a role's helper files, units and directories, where C(ansible.builtin.copy) and
    C(ansible.builtin.template) cost two round trips per file on a no-op converge (a stat, then a
    C(file) call). The content comes from the controller, for example with
    C(lookup('ansible.builtin.file', ...)) or C(lookup('ansible.builtin.template', ...)).
  - Meant for text files of a few hundred KiB at most (the content travels in the module's arguments).
  - With O(units), the systemd units the files make up (or that the role needs) are enabled, started
    or stopped in the same call, after the files (systemd re-reads its units first when a file under
    C(/etc/systemd/) or C(/lib/systemd/) changed). Their states are read with one C(systemctl show),
    where C(ansible.builtin.systemd_service) costs a round trip per unit. A running unit restarts
    when a file it reads changed (O(units[].restart_on)).
  - With O(helpers), the role's own programs that compare live state with the files and fix it
    (a sysctl applier, a storage pool helper) run last in the same call, where
    C(ansible.builtin.command) costs a round trip each.
  - The modules whose work needs packages, files or units first (M(azblink.nfv.azb_zone),
    M(azblink.nfv.azb_wan_policy), M(azblink.nfv.azb_vm), M(azblink.nfv.azb_vpn)) take these options
    as their O(azblink.nfv.azb_zone#module:prerequisites) and converge them in their own call.
  - With O(facts), the call also returns what M(azblink.nfv.azb_box_facts) returns, learned before
    anything changes (the first call of a play that has not learned them saves that round trip).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
  - azblink.nfv.prerequisites.azb_files
options:
  facts:
    description:
      - Also learn what the roles read of the box, as M(azblink.nfv.azb_box_facts) does (the same
        facts, returned as C(ansible_facts)), before anything changes.
    type: bool
    default: false
  require_os:
    description:
      - Refuse the box, before anything changes, unless its os-release names this OS family (its
        C(ID) or one of its C(ID_LIKE)) at this major version or later.
    type: dict
    suboptions:
      family:
        description: The OS family, as os-release's C(ID) or C(ID_LIKE) names it (V(debian)).
        type: str
        required: true
      min_major_version:
        description: The lowest major version (os-release's C(VERSION_ID)) accepted.
        type: int
      required_by:
        description: Who requires it, named in the refusal.
        type: str
        default: azblink.nfv
"""

EXAMPLES = r"""
- name: The role's helper program and its unit
  azblink.nfv.azb_files:
    files:
      - {path: /usr/local/lib/azblink, state: directory, mode: "0755"}
      - path: /usr/local/lib/azblink/apply-sysctls
        content: "{{ lookup('ansible.builtin.file', 'apply-sysctls.sh') }}\n"
        mode: "0755"
      - path: /etc/sysctl.d/60-azblink.conf
        content: "{{ lookup('ansible.builtin.template', 'sysctl.conf.j2') }}"
  register: files

- name: Write a unit and keep it enabled and running (one round trip on a no-op converge)
  azblink.nfv.azb_files:
    files:
      - path: /etc/systemd/system/azb-example.service
        content: "{{ lookup('ansible.builtin.file', 'azb-example.service') }}"
    units:
      - {name: azb-example.service, enabled: true, state: started}

- name: Files, then the helper that brings the kernel in line with them (--check in check mode)
  azblink.nfv.azb_files:
    files:
      - path: /etc/sysctl.d/60-azblink.conf
        content: "{{ lookup('ansible.builtin.template', 'sysctl.conf.j2') }}"
    helpers:
      - argv: [/usr/local/lib/azblink/apply-sysctls, /etc/sysctl.d/60-azblink.conf]

- name: The packages, a configuration file and the daemon that reads it, restarted when the file changed
  azblink.nfv.azb_files:
    packages: [libvirt-daemon-system]
    files:
      - path: /etc/libvirt/qemu.conf
        content: "# Ansible managed\ncgroup_controllers = [ ]\n"
        mode: "0600"
    units:
      - {name: libvirtd.service, enabled: true, state: started, restart_on: [/etc/libvirt/qemu.conf]}

- name: A certificate and its private key in one call (the key masked wherever the arguments are shown)
  azblink.nfv.azb_files:
    files:
      - path: /etc/azblink/pki/certs/box.crt
        content: "{{ lookup('ansible.builtin.file', 'pki/issued/box.crt') }}"
      - path: /etc/azblink/pki/private/box.key
        secret_content: "{{ lookup('ansible.builtin.file', 'pki/private/box.key') }}"
        mode: "0600"

- name: Reload systemd only when a unit changed
  ansible.builtin.systemd_service:
    daemon_reload: true
  when: files.changed_paths | select('match', '/etc/systemd/') | list | length > 0
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/etc/sysctl.d/60-azblink.conf"]
changes:
  description: Each changed path with what changed on it (create, content, mode, owner, remove).
  returned: always
  type: dict
  sample: {"/etc/sysctl.d/60-azblink.conf": ["content"]}
changed_units:
  description: Each unit that changed (or would change) with what was done (enable, disable, start, stop, restart).
  returned: always
  type: dict
  sample: {"ulogd2.service": ["start"]}
changed_helpers:
  description: Each helper that changed (or would change) something, by its command line, with its C(changed) lines.
  returned: always
  type: dict
  sample: {"/usr/local/lib/azblink/apply-sysctls /etc/sysctl.d/60-azblink.conf": ["changed net.ipv4.ip_forward 0 -> 1"]}
ansible_facts:
  description: With O(facts), what M(azblink.nfv.azb_box_facts) returns (distribution, memory, vCPUs, installed packages, cgroups).
  returned: when O(facts) is true
  type: dict
  sample: {"ansible_os_family": "Debian", "azb_installed_packages": ["libvirt-daemon-system"], "azb_cgroups_writable": false}
installed_packages:
  description: The packages of O(packages) that were missing and were installed (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["ulogd2"]
actions:
  description: One line per change (or change check mode would make), as the audit record names them.
  returned: always
  type: list
  elements: str
  sample: ["/etc/sysctl.d/60-azblink.conf content", "ulogd2.service start"]
daemon_reloaded:
  description: Whether systemd re-read its units (a file under a systemd directory changed and O(units) is set).
  returned: always
  type: bool
"""

from ansible_collections.azblink.nfv.plugins.module_utils import box_facts
from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites, required_os
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule


def main():
    module = AuditedModule(argument_spec=dict(
        prerequisites.OPTIONS,
        facts=dict(type="bool", default=False),
        require_os=dict(type="dict", options=required_os.OPTIONS),
    ), supports_check_mode=True)
    if module.params["require_os"]:
        why = required_os.refusal(required_os.read(), module.params["require_os"])
        if why:
            module.fail_json(msg=why)
    facts = {}
    if module.params["facts"]:
        try:
            facts = box_facts.gather(module)
        except box_facts.BoxFactsError as exc:
            module.fail_json(msg=str(exc))
    result = prerequisites.converge(module, module.params)
    result["actions"] = prerequisites.actions(result, prefix="")   # also the audit record's
    if module.params["facts"]:
        result["ansible_facts"] = facts
    module.exit_json(**result)


if __name__ == "__main__":
    main()
