"""Recorded daemons (tests/lab/azblab/system.py): a PID file names one process, not whoever has its
PID later. pid_max is 32768 on the lab machine and a make test forks tens of thousands of processes,
so a stale PID file's number is soon somebody else's: stopping it would kill that process."""
import os
import subprocess

from tests.lab.azblab import system


def test_a_recorded_process_is_read_back_while_it_lives(tmp_path, monkeypatch):
    monkeypatch.setattr(system, "RUN_DIR", str(tmp_path))
    proc = subprocess.Popen(["sleep", "30"])
    try:
        path = str(tmp_path / "p.pid")
        system.record_pid(path, proc.pid)
        assert open(path).read().split() == [str(proc.pid), system.pid_start(proc.pid)]
        assert system.read_pid("p") == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert system.read_pid("p") is None


def test_a_pid_given_to_another_process_is_not_ours(tmp_path, monkeypatch):
    monkeypatch.setattr(system, "RUN_DIR", str(tmp_path))
    # This test's own process stands in for the one that got the PID after ours ended.
    (tmp_path / "q.pid").write_text("%d 1" % os.getpid())
    assert system.read_pid("q") is None
    (tmp_path / "q.pid").write_text("%d %s" % (os.getpid(), system.pid_start(os.getpid())))
    assert system.read_pid("q") == os.getpid()


def test_stopping_a_stale_record_kills_nobody(tmp_path, monkeypatch):
    monkeypatch.setattr(system, "RUN_DIR", str(tmp_path))
    victim = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "old.pid").write_text("%d 1" % victim.pid)
        system.stop_daemon("old", grace=0.5)
        assert victim.poll() is None, "stop_daemon killed a process it had not started"
        assert not (tmp_path / "old.pid").exists()
    finally:
        victim.kill()
        victim.wait()
