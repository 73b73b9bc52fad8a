#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the work is done by the action plugin of the same name (plugins/action).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_fleet_lock
short_description: Take or release the box's converge lock, so two runs never converge one box at once
version_added: 0.1.0
description:
  - With O(state=acquired), takes the box's converge lock, waiting up to O(wait) seconds for another
    run (another controller, another AWX job) that holds it; then fails with a message naming that
    run. A lock older than O(ttl) seconds belongs to a run that died and is taken over.
  - With O(state=released), releases the lock if the run named by O(holder) still holds it, first
    recording the converge in the box's journal (tag C(azblink-converge)) with O(record=true);
    C(playbooks/status.yml) reports the last record as the box's last applied change.
  - The lock is a directory under C(/run) (a reboot clears it); one round trip each way. Taken in
    check mode too, so a drift report is never read during a converge.
  - Where a task gives no O(dir), O(wait), O(ttl) or O(break), the inventory's
    C(azb_fleet_lock_dir), C(azb_fleet_lock_wait), C(azb_fleet_lock_ttl), C(azb_fleet_lock_break)
    apply, else the fleet role's defaults (C(roles/fleet/defaults/main.yml)).
author:
  - azblink engineering (@azblink)
options:
  state:
    description: Take the lock, or release it.
    type: str
    choices: [acquired, released]
    default: acquired
  holder:
    description:
      - With O(state=released), the holder this run took the lock as (RV(holder) of the task that took
        it). Empty releases nothing.
    type: str
  record:
    description: With O(state=released), record the converge in the box's journal first (not in check mode).
    type: bool
    default: false
  dir:
    description: The lock's directory on the box.
    type: path
  wait:
    description: Seconds to wait for another run's lock before refusing.
    type: int
  ttl:
    description: Seconds after which a lock is taken to belong to a dead run and is taken over.
    type: int
  break:
    description: Break the lock whoever holds it (when the run that holds it is known to be gone).
    type: bool
attributes:
  check_mode:
    support: full
    description: Takes and releases the lock in check mode too; records nothing.
  diff_mode:
    support: none
    description: The lock lives for the run only; there is nothing to diff.
  platform:
    platforms: debian
    support: full
    description: Target OS/families that can be operated against.
notes:
  - An action plugin; it needs bash, C(flock) and C(logger) on the box (Debian has them).
"""

EXAMPLES = r"""
- name: Converge the box under its lock
  block:
    - name: Take the converge lock (waiting up to azb_fleet_lock_wait s for another run)
      azblink.nfv.azb_fleet_lock:
      register: azb_fleet_lock
    - name: Converge the site
      ansible.builtin.include_role:
        name: azblink.nfv.site
  always:
    - name: Release the box's converge lock
      azblink.nfv.azb_fleet_lock:
        state: released
        holder: "{{ azb_fleet_lock.holder | default('') }}"
"""

RETURN = r"""
holder:
  description: Who holds the lock now (this run), as the refusal names it to another run.
  returned: state=acquired
  type: str
  sample: 'ops@controller1 AWX job 42 play "Roll out to the fleet in batches" since 2026-12-02T10:00:00Z'
waited_for:
  description: The run this one waited for, if any (also said as a warning).
  returned: state=acquired
  type: str
released:
  description: Whether this run's lock was released (false when it was no longer this run's).
  returned: state=released
  type: bool
recorded:
  description: Whether the converge was recorded in the box's journal.
  returned: state=released
  type: bool
"""
