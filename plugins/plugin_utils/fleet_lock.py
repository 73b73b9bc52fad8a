# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The box's converge lock: the shell the box runs to take and release it, and what its answer means.

Pure (text in, text out): the action plugin azb_fleet_lock runs the scripts over the task's
connection. The lock is a directory in /run (mkdir is atomic; a reboot clears it) holding the
holder's name; a short flock on a guard file makes "check, break a lapsed lock, take it" one step. A
lock older than its TTL belongs to a run that died and is taken over.
"""
from __future__ import annotations

import json
import shlex

# The action's settings and the inventory variables they come from where a task gives no argument
# (their defaults: roles/fleet/defaults/main.yml).
VARIABLES = {"dir": "azb_fleet_lock_dir", "wait": "azb_fleet_lock_wait", "ttl": "azb_fleet_lock_ttl",
             "break": "azb_fleet_lock_break"}
REFUSED = 3   # the acquire script's exit status when another run kept the lock for the whole wait


def holder_name(user, controller, play, since, awx_job_id=None):
    """Who holds the lock, as a person reads it in the refusal: user@controller, AWX job, play, since."""
    job = " AWX job %s" % awx_job_id if awx_job_id not in (None, "") else ""
    return '%s@%s%s play "%s" since %s' % (user or "ansible", controller, job, play, since)


def acquire_script(lock_dir, holder, wait, ttl, break_lock=False):
    """Take the lock, waiting up to `wait` s for another run; exit 0 printing how long it waited
    (and for whom), or exit REFUSED printing the holder that kept it."""
    q = shlex.quote
    return """set -u
dir=%(dir)s; mkdir -p "$(dirname "$dir")"
exec 9>"$dir.guard"
%(break)s
end=$(( $(date +%%s) + %(wait)d )); start=$(date +%%s); holder=
while :; do
  flock 9
  if [ -d "$dir" ] && [ $(( $(date +%%s) - $(stat -c %%Y "$dir") )) -ge %(ttl)d ]; then
    echo "lapsed lock of $(cat "$dir/holder" 2>/dev/null) taken over" >&2; rm -rf "$dir"
  fi
  if mkdir "$dir" 2>/dev/null; then
    printf '%%s\\n' %(holder)s > "$dir/holder"; flock -u 9
    echo "acquired after $(( $(date +%%s) - start ))s${holder:+ (waited for: $holder)}"; exit 0
  fi
  holder=$(cat "$dir/holder" 2>/dev/null); flock -u 9
  [ "$(date +%%s)" -ge "$end" ] && break
  sleep 1
done
echo "$holder"; exit %(refused)d
""" % {"dir": q(lock_dir), "holder": q(holder), "wait": int(wait), "ttl": int(ttl), "refused": REFUSED,
       "break": 'flock 9; rm -rf "$dir"; flock -u 9' if break_lock else ":"}


def record_line(at, holder, version):
    """The journal line (tag azblink-converge) status.yml reads back as the box's last applied change."""
    return json.dumps({"at": at, "by": holder, "collection": version}, sort_keys=True)


def record_command(line):
    """Record a converge in the box's journal; a failure is kept in $unrecorded for the caller to report
    once its other work (releasing the lock) is done."""
    return "logger --tag azblink-converge %s || unrecorded=$?\n" % shlex.quote(line)


RECORD_FAILED = ('[ -z "${unrecorded:-}" ] || { echo "logger failed ($unrecorded): converge not recorded" >&2; '
                 'exit 1; }\n')


def release_script(lock_dir, holder, record=None):
    """Release the lock if `holder` holds it (printing "released"), recording the converge first when
    `record` is a journal line; a record that could not be written fails, once the lock is released."""
    q = shlex.quote
    return "%sdir=%s\nexec 9>\"$dir.guard\"; flock 9\n" \
           "if [ \"$(cat \"$dir/holder\" 2>/dev/null)\" = %s ]; then rm -rf \"$dir\" && echo released; fi\n%s" % (
               record_command(record) if record else "", q(lock_dir), q(holder), RECORD_FAILED if record else "")


def acquire_outcome(host, rc, stdout, stderr, wait, ttl):
    """(failed, message, waited_for) from the acquire script's answer."""
    out = (stdout or "").strip()
    if rc == 0:
        waited = out.split("(waited for: ", 1)[1].rstrip(")") if "(waited for: " in out else None
        return False, "%s: converge lock %s" % (host, out), waited
    if rc == REFUSED:
        return True, ("%s is being converged by another run (%s); waited %d s. Run again when it is done, or if "
                      "that run is gone, pass -e azb_fleet_lock_break=true (the lock lapses by itself %d s after "
                      "it was taken)." % (host, out, int(wait), int(ttl))), None
    return True, "%s: the converge lock could not be taken (exit %s): %s" % (
        host, rc, " ".join(((stderr or "") + " " + out).split()) or "no output"), None
