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
    where C(ansible.builtin.systemd_service) costs a round trip per unit. Units are not restarted
    when their files change (notify a handler for that).
  - With O(helpers), the role's own programs that compare live state with the files and fix it
    (a sysctl applier, a storage pool helper) run last in the same call, where
    C(ansible.builtin.command) costs a round trip each.
  - With O(facts), the call also returns what M(azblink.nfv.azb_box_facts) returns, learned before
    anything changes (the first call of a play that has not learned them saves that round trip).
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
        description:
          - What the path must be. C(line) keeps the file's other lines and puts O(files[].line) in
            place of the last line matching O(files[].regexp), or appends it (lineinfile's common
            case; the file is created when missing).
        type: str
        choices: [file, directory, absent, line]
        default: file
      content:
        description: The file's whole content (text). Required when O(files[].state=file), unless O(files[].secret_content) gives it.
        type: str
      secret_content:
        description:
          - The file's whole content when it is a secret (a private key), in place of O(files[].content).
            Ansible masks it wherever the module's arguments or output would show it, so one call can
            carry public files and keys without a C(no_log) that hides the whole task.
        type: str
      line:
        description: With O(files[].state=line), the line the file must have.
        type: str
      regexp:
        description: With O(files[].state=line), the line to replace (Python regular expression); without it, a line equal to O(files[].line).
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
  units:
    description:
      - systemd units to converge after the files, in order (as C(ansible.builtin.systemd_service)
        with O(units[].enabled) and O(units[].state)). Empty by default.
      - In check mode a unit systemd does not know yet (its file is only about to be written) is
        reported as to be enabled or started; otherwise an unknown unit fails, naming it.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit's name, with its suffix (C(ulogd2.service), C(azb-vm-health.timer)).
        type: str
        required: true
      enabled:
        description: Whether the unit starts at boot; unset leaves it as it is.
        type: bool
      state:
        description: Whether it runs now; unset leaves it as it is.
        type: str
        choices: [started, stopped]
      restart_on:
        description:
          - Paths of this call's O(files) the unit reads at start. When one of them changes, a running
            unit restarts (reported as C(restart)), in the same call, where a role's task of its own
            notified a handler.
        type: list
        elements: path
        default: []
  helpers:
    description:
      - Programs to run after the files and units, in order, without a shell. In check mode each is
        given C(--check) as its last argument and must then change nothing.
        Each line of its output that starts with C(changed) is a change it made (or would make),
        which makes the task changed; a non-zero exit fails the task, naming the helper.
      - In check mode a helper whose program or one of whose arguments is a path this call is about
        to write is not run (it, or its input, is not on the box yet).
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: The program and its arguments (no shell).
        type: list
        elements: str
        required: true
  packages:
    description:
      - Debian packages the files, units and helpers need, installed first when missing (with
        C(apt-get), without recommends, keeping a configuration file already written), so a no-op
        converge asks dpkg in this call, where an C(ansible.builtin.apt) task cost a task per role and box.
      - In check mode the missing ones are reported (RV(installed_packages)) and the helpers are not
        run while any is missing (they may need it).
    type: list
    elements: str
    default: []
  packages_cache_valid_time:
    description: Refresh apt's package lists before installing when they are older than this many seconds.
    type: int
    default: 3600
  facts:
    description:
      - Also learn what the roles read of the box, as M(azblink.nfv.azb_box_facts) does (the same
        facts, returned as C(ansible_facts)), before anything changes.
    type: bool
    default: false
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
daemon_reloaded:
  description: Whether systemd re-read its units (a file under a systemd directory changed and O(units) is set).
  returned: always
  type: bool
"""

import functools

from ansible_collections.azblink.nfv.plugins.module_utils import box_facts
from ansible_collections.azblink.nfv.plugins.module_utils import files
from ansible_collections.azblink.nfv.plugins.module_utils import helpers
from ansible_collections.azblink.nfv.plugins.module_utils import packages
from ansible_collections.azblink.nfv.plugins.module_utils import units
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule


def main():
    module = AuditedModule(argument_spec=dict(
        files=dict(type="list", elements="dict", required=True, options=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["file", "directory", "absent", "line"], default="file"),
            content=dict(type="str"),
            secret_content=dict(type="str", no_log=True),
            line=dict(type="str"),
            regexp=dict(type="str"),
            mode=dict(type="str", default="0644"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        )),
        units=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            enabled=dict(type="bool"),
            state=dict(type="str", choices=["started", "stopped"]),
            restart_on=dict(type="list", elements="path", default=[]),
        )),
        helpers=dict(type="list", elements="dict", default=[], options=dict(
            argv=dict(type="list", elements="str", required=True),
        )),
        packages=dict(type="list", elements="str", default=[]),
        packages_cache_valid_time=dict(type="int", default=3600),
        facts=dict(type="bool", default=False),
    ), supports_check_mode=True)
    wanted_units = module.params["units"]
    facts = {}
    if module.params["facts"]:
        try:
            facts = box_facts.gather(module)
        except box_facts.BoxFactsError as exc:
            module.fail_json(msg=str(exc))
    try:
        changes = files.plan(files.with_secret_content(module.params["files"]))
        units.check(wanted_units)
        helpers.check(module.params["helpers"])
        packages.check(module.params["packages"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    apt = packages.PackagesAdapter(functools.partial(module.run_command, environ_update=packages.APT_ENV))
    try:
        missing = apt.missing(module.params["packages"])
        if missing and not module.check_mode:
            apt.install(missing, module.params["packages_cache_valid_time"])
    except packages.PackagesError as exc:
        module.fail_json(msg=str(exc))
    if changes and not module.check_mode:
        files.apply(changes)
    changed_paths = [e["path"] for e, _a in changes]
    reload_units = bool(wanted_units) and units.needs_daemon_reload(changed_paths) and not module.check_mode
    unit_changes = []
    if wanted_units:
        adapter = units.UnitsAdapter(module.run_command)
        try:
            if reload_units:
                adapter.daemon_reload()
            unit_changes = units.plan(wanted_units, adapter.states([u["name"] for u in wanted_units]), module.check_mode,
                                      changed_paths)
            if unit_changes and not module.check_mode:
                adapter.apply(unit_changes)
        except units.UnitsError as exc:
            module.fail_json(msg=str(exc), changed_paths=changed_paths)
    try:
        # In check mode a helper may need a package still to be installed: not run then.
        wanted_helpers = [] if module.check_mode and missing else module.params["helpers"]
        helper_changes = helpers.run(wanted_helpers, module.run_command, module.check_mode, changed_paths)
    except helpers.HelperError as exc:
        module.fail_json(msg=str(exc), changed_paths=changed_paths, changed_units=dict(unit_changes))
    result = dict(changed=bool(missing or changes or unit_changes or helper_changes), changed_paths=changed_paths,
                  installed_packages=missing,
                  changes=dict((e["path"], a) for e, a in changes),
                  changed_units=dict(unit_changes), changed_helpers=dict(helper_changes),
                  daemon_reloaded=reload_units)
    if module.params["facts"]:
        result["ansible_facts"] = facts
    if module._diff:
        result["diff"] = files.diff(changes, module.check_mode)
        if missing:
            result["diff"]["after"] = "packages: install %s\n" % ", ".join(missing) + result["diff"]["after"]
        if unit_changes:
            result["diff"]["after"] += "".join("%s: %s\n" % (n, ", ".join(a)) for n, a in unit_changes)
        for _cmd, lines in helper_changes:
            result["diff"]["after"] += "".join("%s\n" % line for line in lines)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
