"""The converge lock's scripts, run by bash in a scratch directory (as the box runs them), and what
their answers mean."""
import os
import subprocess

import yaml

from ansible_collections.azblink.nfv.plugins.plugin_utils import collection_files, fleet_gate, fleet_lock
from ansible_collections.azblink.nfv.plugins.plugin_utils.task_settings import resolve

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
A = 'ops@c1 play "Roll out" since 2026-12-02T10:00:00Z'
B = "ci@c2 AWX job 7 play \"it's drift\" since 2026-12-02T10:00:05Z"   # quotes survive the shell


def bash(script):
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=False)
    return res.returncode, res.stdout, res.stderr


def test_one_run_holds_the_lock_another_is_refused_naming_it(tmp_path):
    lock = str(tmp_path / "run" / "converge.lock")
    rc, out, _err = bash(fleet_lock.acquire_script(lock, A, wait=0, ttl=1800))
    assert (rc, out.strip()) == (0, "acquired after 0s")
    with open(os.path.join(lock, "holder")) as fh:
        assert fh.read().strip() == A
    rc, out, err = bash(fleet_lock.acquire_script(lock, B, wait=0, ttl=1800))
    assert rc == fleet_lock.REFUSED
    failed, msg, _waited = fleet_lock.acquire_outcome("box1", rc, out, err, 0, 1800)
    assert failed and msg.startswith("box1 is being converged by another run (%s); waited 0 s." % A)


def test_only_the_holder_releases_and_the_record_comes_first(tmp_path):
    lock = str(tmp_path / "converge.lock")
    assert bash(fleet_lock.acquire_script(lock, A, wait=0, ttl=1800))[0] == 0
    rc, out, _err = bash(fleet_lock.release_script(lock, B))
    assert (rc, out.strip()) == (0, "") and os.path.isdir(lock), "another run's release freed the lock"
    # The record runs logger; a PATH without it shows the failure is reported after the release.
    script = "PATH=/nonexistent\n" + fleet_lock.release_script(lock, A, fleet_lock.record_line("t", A, "0.1.0"))
    rc, out, err = bash(script.replace('rm -rf', '/bin/rm -rf').replace("cat ", "/bin/cat "))
    assert out.split() == ["released"] and not os.path.exists(lock)
    assert rc == 1 and "converge not recorded" in err


def test_a_lapsed_lock_is_taken_over_and_a_waiting_run_names_whom_it_waited_for(tmp_path):
    lock = str(tmp_path / "converge.lock")
    assert bash(fleet_lock.acquire_script(lock, A, wait=0, ttl=1800))[0] == 0
    rc, out, err = bash(fleet_lock.acquire_script(lock, B, wait=0, ttl=0))
    assert rc == 0 and "lapsed lock of %s taken over" % A in err
    # A run that waits: the holder releases while the second one polls.
    first = subprocess.Popen(["bash", "-c", "sleep 1.5; " + fleet_lock.release_script(lock, B)])
    rc, out, err = bash(fleet_lock.acquire_script(lock, A, wait=20, ttl=1800))
    first.wait(10)
    failed, msg, waited = fleet_lock.acquire_outcome("box1", rc, out, err, 20, 1800)
    assert not failed and waited == B, msg
    assert msg.startswith("box1: converge lock acquired after ")


def test_break_takes_the_lock_whoever_holds_it(tmp_path):
    lock = str(tmp_path / "converge.lock")
    assert bash(fleet_lock.acquire_script(lock, A, wait=0, ttl=1800))[0] == 0
    assert bash(fleet_lock.acquire_script(lock, B, wait=0, ttl=1800, break_lock=True))[0] == 0
    with open(os.path.join(lock, "holder")) as fh:
        assert fh.read().strip() == B


def test_a_script_that_cannot_run_is_not_read_as_a_refusal():
    failed, msg, _waited = fleet_lock.acquire_outcome("box1", 127, "", "bash: flock: command not found", 0, 1)
    assert failed and msg == "box1: the converge lock could not be taken (exit 127): bash: flock: command not found"


def test_the_holder_names_the_awx_job_when_there_is_one():
    assert fleet_lock.holder_name("ops", "c1", "Roll out", "T", 42) == 'ops@c1 AWX job 42 play "Roll out" since T'
    assert fleet_lock.holder_name("", "c1", "Roll out", "T") == 'ansible@c1 play "Roll out" since T'


def test_the_actions_defaults_are_the_fleet_roles():
    """With no argument and no inventory variable, each setting is the fleet role's default."""
    with open(os.path.join(ROOT, "roles", "fleet", "defaults", "main.yml")) as fh:
        role = yaml.safe_load(fh)
    assert collection_files.role_defaults("fleet") == role
    for module in (fleet_lock, fleet_gate):
        assert resolve({}, {}, str, module.VARIABLES, collection_files.role_defaults("fleet")) == \
            {key: role[var] for key, var in module.VARIABLES.items()}
