"""Appliance leases between parallel runs (pure file logic, in a temporary directory)."""
import os
import subprocess

from tests.lab.azblab import lease


def test_a_free_appliance_is_taken_and_released(tmp_path):
    run = str(tmp_path)
    me = os.getpid()
    assert lease.busy(run, ["lab-a1"], me) == {}
    lease.take(run, ["lab-a1"], me)
    assert lease.holder(run, "lab-a1") == me
    assert lease.busy(run, ["lab-a1"], me) == {}
    lease.release(run, ["lab-a1"], me)
    assert lease.holder(run, "lab-a1") is None


def test_another_live_run_keeps_its_appliance(tmp_path):
    run = str(tmp_path)
    other = subprocess.Popen(["sleep", "30"])
    try:
        lease.take(run, ["lab-a2"], other.pid)
        assert lease.busy(run, ["lab-a1", "lab-a2"], os.getpid()) == {"lab-a2": other.pid}
        lease.release(run, ["lab-a2"], os.getpid())      # not ours: stays
        assert lease.holder(run, "lab-a2") == other.pid
    finally:
        other.kill()
        other.wait()
    # its owner is gone: the lease is stale, so free
    assert lease.busy(run, ["lab-a2"], os.getpid()) == {}
    lease.release(run, ["lab-a2"], os.getpid())
    assert not os.path.exists(os.path.join(run, "leases", "lab-a2"))


def test_owner_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AZB_LAB_LEASE_PID", "1234")
    assert lease.owner_from_env() == 1234
    monkeypatch.setenv("AZB_LAB_LEASE_PID", "")
    assert lease.owner_from_env() is None


def test_a_lease_whose_pid_names_another_process_now_is_free(tmp_path):
    """PIDs wrap: a lease is its owner's PID and start time, and a live process that got the PID later
    is not its owner."""
    run = str(tmp_path)
    os.makedirs(os.path.join(run, "leases"))
    with open(os.path.join(run, "leases", "lab-a3"), "w") as fh:
        fh.write('{"pid": %d, "started": "1"}' % os.getpid())   # this process, started at another time
    assert lease.holder(run, "lab-a3") is None
    assert lease.busy(run, ["lab-a3"], None) == {}
