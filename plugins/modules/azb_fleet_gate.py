#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the work is done by the action plugin of the same name (plugins/action).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_fleet_gate
short_description: The health gate of a rollout - check a converged box by use, in one round trip
version_added: 0.1.0
description:
  - Asks libvirtd over its socket (waiting up to O(libvirt_wait) seconds for a just-restarted one),
    reads the storage pool (running and autostarted), IPv4 forwarding and, with O(firewall), the
    zones firewall's forward chain, and with O(probe_url) fetches a page through the WAN (O(retries)
    more tries 2 s apart). Every check runs; the task fails with one message naming each that failed
    (for example that the box has no egress through the WAN, with the probe's error), so a rollout
    summary says why a box stopped it.
  - With O(record_converge_by), records the converge in the box's journal (tag C(azblink-converge))
    first, in the same round trip; a rollout records the converge that went through, whatever its
    gate says. Not in check mode. With O(release_lock), releases the box's converge lock last.
  - Where a task gives no O(probe_url), O(probe_expect), O(timeout), O(retries) or O(libvirt_wait),
    the inventory's C(azb_fleet_gate_*) variables of the same names apply, else the fleet role's defaults
    (C(roles/fleet/defaults/main.yml)).
author:
  - azblink engineering (@azblink)
options:
  probe_url:
    description: A page to fetch through the WAN; empty skips the egress check.
    type: str
  probe_expect:
    description: Text the page must contain.
    type: str
  timeout:
    description: Seconds each check (and each fetch) may take.
    type: int
  retries:
    description: More tries of the egress probe, 2 s apart.
    type: int
  libvirt_wait:
    description: Seconds to keep asking a libvirtd that does not answer yet.
    type: int
  pool:
    description: The storage pool to check; default C(azb_hypervisor_pool_name), else C(azb).
    type: str
  firewall:
    description: Check the zones firewall; default true where C(azb_zones) is declared.
    type: bool
  record_converge_by:
    description: Record the converge in the box's journal as done by this holder (C(holder) of the M(azblink.nfv.azb_fleet_lock) task).
    type: str
  release_lock:
    description:
      - Release the box's converge lock held by this holder (C(holder) of the M(azblink.nfv.azb_fleet_lock)
        task) once the checks have run, whatever they found, in the same round trip (a rollout needs
        no release task of its own where the converge reached its gate). Also in check mode, as the
        lock is taken in check mode too.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only; records nothing in check mode.
  diff_mode:
    support: none
    description: Read-only; there is nothing to diff.
  platform:
    platforms: debian
    support: full
    description: Target OS/families that can be operated against.
notes:
  - An action plugin; it needs bash, virsh, sysctl, nft and python3 on the box (the site's roles install them).
"""

EXAMPLES = r"""
- name: Pass the health gate
  azblink.nfv.azb_fleet_gate:
    probe_url: http://203.0.113.10/ip
    probe_expect: "203.0.113."
"""

RETURN = r"""
checks:
  description: Each check's line as the box printed it, the check's name and C(ok) or why it failed.
  returned: always
  type: list
  elements: str
  sample: ["libvirt: ok", "pool: ok", "forward: 1", "firewall: ok", "egress: ok"]
failures:
  description: The checks that failed, as the failure message names them.
  returned: always
  type: list
  elements: str
recorded:
  description: Whether the converge was recorded (with O(record_converge_by), outside check mode).
  returned: when recorded was asked
  type: bool
released:
  description: Whether the lock was released (with O(release_lock); false where another run held it by then).
  returned: when O(release_lock) is given
  type: bool
"""
