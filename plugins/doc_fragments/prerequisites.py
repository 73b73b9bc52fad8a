# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One text for the options of module_utils/prerequisites.py (OPTIONS): azb_files takes them at its top
# level, azb_zone, azb_wan_policy, azb_vm and azb_vpn under their `prerequisites` option. O() and RV()
# references carry %(at)s, the option's place ("prerequisites." or nothing).
_OPTIONS = r"""
files:
  description: The paths to converge, in order (a directory before the files in it). Empty by default.
  type: list
  elements: dict
  default: []
  suboptions:
    path:
      description: Absolute path on the box.
      type: path
      required: true
    state:
      description:
        - What the path must be. C(line) keeps the file's other lines and puts O(%(at)sfiles[].line) in
          place of the last line matching O(%(at)sfiles[].regexp), or appends it (lineinfile's common
          case; the file is created when missing).
      type: str
      choices: [file, directory, absent, line]
      default: file
    content:
      description: The file's whole content (text). Required when O(%(at)sfiles[].state=file), unless O(%(at)sfiles[].secret_content) gives it.
      type: str
    secret_content:
      description:
        - The file's whole content when it is a secret (a private key), in place of O(%(at)sfiles[].content).
          Ansible masks it wherever the module's arguments or output would show it, so one call can
          carry public files and keys without a C(no_log) that hides the whole task.
      type: str
    line:
      description: With O(%(at)sfiles[].state=line), the line the file must have.
      type: str
    regexp:
      description: With O(%(at)sfiles[].state=line), the line to replace (Python regular expression); without it, a line equal to O(%(at)sfiles[].line).
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
      with O(%(at)sunits[].enabled) and O(%(at)sunits[].state)). Empty by default.
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
        - Paths of this call's O(%(at)sfiles) the unit reads at start. When one of them changes, a running
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
    - In check mode the missing ones are reported (%(installed)s) and the helpers are not
      run while any is missing (they may need it).
  type: list
  elements: str
  default: []
packages_cache_valid_time:
  description: Refresh apt's package lists before installing when they are older than this many seconds.
  type: int
  default: 3600
"""


def _indent(text, spaces):
    return "".join((" " * spaces + line if line.strip() else line) for line in text.splitlines(True))


class ModuleDocFragment(object):
    """The prerequisites a module converges before its own work (files, units, helpers, packages).
    Its texts are set below the class: both are made from one text, and ansible-test's yamllint
    reads only literal strings in a fragment's class body (validate-modules checks the result)."""


ModuleDocFragment.DOCUMENTATION = r"""
options:
  prerequisites:
    description:
      - What this module's work needs on the box first, converged in the same call before it, as
        M(azblink.nfv.azb_files) converges them (its options, here under O(prerequisites)), in this
        order - Debian packages, files and directories, systemd units, helper programs.
      - A role's files task folded into its module's call, one task and round trip fewer per box.
        Only a converging state applies them (never V(rendered) or V(gathered)), after the module
        has checked its own input, so bad input changes nothing.
      - What they did is returned in RV(prerequisites) and makes the task changed; their diff comes
        first in the module's diff, and their changes are listed in its actions.
    type: dict
    suboptions:
""" + _indent(_OPTIONS.lstrip("\n") % {"at": "prerequisites.", "installed": "RV(prerequisites)"}, 6)

# azb_files: the same options at the module's top level.
ModuleDocFragment.AZB_FILES = "\noptions:\n" + _indent(_OPTIONS.lstrip("\n") % {"at": "", "installed": "RV(installed_packages)"}, 2)
