#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_files
short_description: Put a set of files and directories on the box in one module call
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
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  files:
    description: The paths to converge, in order (a directory before the files in it).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path on the box.
        type: path
        required: true
      state:
        description: What the path must be.
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: The file's whole content (text). Required when O(files[].state=file).
        type: str
      mode:
        description: Octal mode as a string.
        type: str
        default: "0644"
      owner:
        description: Owning user.
        type: str
        default: root
      group:
        description: Owning group.
        type: str
        default: root
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
"""

from ansible_collections.azblink.nfv.plugins.module_utils import files
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule


def main():
    module = AuditedModule(
        argument_spec=dict(files=dict(type="list", elements="dict", required=True, options=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["file", "directory", "absent"], default="file"),
            content=dict(type="str"),
            mode=dict(type="str", default="0644"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        ))),
        supports_check_mode=True,
    )
    try:
        changes = files.plan(module.params["files"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if changes and not module.check_mode:
        files.apply(changes)
    result = dict(changed=bool(changes), changed_paths=[e["path"] for e, _a in changes],
                  changes=dict((e["path"], a) for e, a in changes))
    if module._diff:
        result["diff"] = files.diff(changes, module.check_mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
