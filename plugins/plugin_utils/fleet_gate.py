# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health gate: the checks a box runs in one round trip, and the verdict read from their lines.

Pure: the action plugin azb_fleet_gate runs the script over the task's connection. Each check uses
what the site built (asks libvirtd over its socket, reads the storage pool, the running kernel and
ruleset, fetches a page through the WAN) and prints one line "NAME: ok" or "NAME: why"; all run, then
one verdict names every one that failed, so a rollout summary says why a box stopped it.
"""
from __future__ import annotations

import shlex

from ansible_collections.azblink.nfv.plugins.plugin_utils import fleet_lock

# The action's settings and the inventory variables they come from where a task gives no argument
# (their defaults: roles/fleet/defaults/main.yml).
VARIABLES = {"probe_url": "azb_fleet_gate_probe_url", "probe_expect": "azb_fleet_gate_probe_expect",
             "timeout": "azb_fleet_gate_timeout", "retries": "azb_fleet_gate_retries",
             "libvirt_wait": "azb_fleet_gate_libvirt_wait"}

# The egress probe: a page fetched through the WAN by the box's Python, tried again 2 s apart (a
# busy far end can miss one probe; a dead uplink misses them all).
_PROBE = """python3 - %(url)s %(expect)s %(timeout)d %(retries)d <<'PROBE'
import sys, time, urllib.request
url, expect, timeout, retries = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for attempt in range(retries + 1):
    try:
        with urllib.request.build_opener().open(url, timeout=timeout) as answer:
            body = answer.read().decode("utf-8", "replace")
        why = "ok" if expect in body else "the answer lacks %%r" %% expect
        break
    except Exception as exc:  # any failure to fetch is the probe's answer
        why = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    if attempt < retries:
        time.sleep(2)
print("egress: " + " ".join(why.split()))
PROBE
"""


def gate_script(pool, firewall, probe_url, probe_expect, timeout, retries, libvirt_wait, record=None, release=None):
    """The checks as one bash script; `record` (a shell line) runs first, so the converge is recorded
    whatever the gate finds; `release` (fleet_lock.release_script's, without a record) runs last,
    whatever the gate finds: the rollout's converge is over once its gate has looked."""
    q = shlex.quote
    script = ["set -o pipefail", record or "", "t=%d" % int(timeout),
              # Asked until it answers, within a bound: a just-(re)started libvirtd answers its first
              # question only once it has probed QEMU.
              "ok=0; deadline=$((SECONDS + %d))" % int(libvirt_wait),
              "while :; do",
              '  if err=$(timeout "$t" virsh --connect qemu:///system version --daemon 2>&1 >/dev/null); then ok=1; break; fi',
              '  [ "$SECONDS" -lt "$deadline" ] || break',
              "  sleep 2",
              "done",
              'if [ "$ok" = 1 ]; then echo "libvirt: ok"; else err=${err:-timeout}; echo "libvirt: ${err%%$\'\\n\'*}"; fi',
              'pool=$(timeout "$t" virsh --connect qemu:///system pool-info %s 2>/dev/null)' % q(pool),
              "if grep -Eq '^State:[[:space:]]+running' <<<\"$pool\" && grep -Eq '^Autostart:[[:space:]]+yes' <<<\"$pool\"; then",
              '  echo "pool: ok"; else echo "pool: down"; fi',
              'echo "forward: $(sysctl -n net.ipv4.ip_forward 2>/dev/null)"']
    if firewall:
        script.append('if nft list chain inet azblink forward >/dev/null 2>&1; then echo "firewall: ok"; '
                      'else echo "firewall: missing"; fi')
    if probe_url:
        script.append(_PROBE % {"url": q(probe_url), "expect": q(probe_expect), "timeout": int(timeout),
                                "retries": int(retries)})
    if release:
        script.append(release)
    if record:
        script.append(fleet_lock.RECORD_FAILED)
    return "\n".join(line.rstrip("\n") for line in script if line) + "\n"


def _answer(lines, name, default):
    """What the line "NAME: ..." says after its name, or `default` when no such line came back."""
    prefix = name + ": "
    return next((line[len(prefix):] for line in lines if line.startswith(prefix)), default)


def gate_failures(lines, firewall, probe_url):
    """Every failed check of the script's output lines, as a person reads it."""
    lines = [line.strip() for line in lines]
    failures = []
    if "libvirt: ok" not in lines:
        failures.append("libvirtd does not answer (%s)" % _answer(lines, "libvirt", "no answer"))
    if "pool: ok" not in lines:
        failures.append("storage pool not running and autostarted")
    if "forward: 1" not in lines:
        failures.append("IPv4 forwarding off")
    if firewall and "firewall: ok" not in lines:
        failures.append("zones firewall not loaded")
    if probe_url and "egress: ok" not in lines:
        failures.append("no egress through the WAN (%s: %s)" % (probe_url, _answer(lines, "egress", "no answer")))
    return failures
