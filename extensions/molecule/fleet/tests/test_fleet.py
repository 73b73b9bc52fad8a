"""The fleet playbooks on six lab appliances in two tenants (inventories/fleet-lab).

The tests run in file order on the fleet the converge step rolled out: the same rollout again under
ansible-runner (AWX's engine) changes nothing, read from its job events (the idempotence check);
drift of the one box changed by hand, the five others in sync (check mode changed=0), and its repair
with -l; one canary rollout stopped in its second batch by a box failing its health gate (its ISP
silently drops traffic: the gate's fetch through the WAN fails) and a box made unreachable (its
management link down); rollback of that batch; the fleet status; two concurrent converges of one
box. Four playbook runs cover the whole fleet, the others one box. Every run is bounded; every
fault is undone.
"""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from fleetlib import BOXES, EPHEMERAL, REPO, lab, playbook, report, ssh

CHANGE = "@" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vars", "change.yml")
POLICY = "office-dmz-rdp"


@pytest.fixture(scope="module")
def reports():
    path = os.path.join(EPHEMERAL, "reports-verify")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def has_policy(box):
    res = ssh(box, "nft list ruleset")
    assert res.returncode == 0, res.stderr
    return POLICY in res.stdout


def last_converge(box):
    return ssh(box, "journalctl -t azblink-converge -n 1 -o cat --no-pager").stdout.strip()


def _runner_dir(base):
    """A private_data_dir laid out as AWX lays it out for a job: project/, inventory/, env/."""
    pdd = os.path.join(base, "runner")
    shutil.rmtree(pdd, ignore_errors=True)
    os.makedirs(os.path.join(pdd, "env"))
    # The fleet inventory (hosts, group_vars, host_vars) with the lab's host file beside it.
    shutil.copytree(os.path.join(REPO, "inventories", "fleet-lab"), os.path.join(pdd, "inventory"))
    shutil.copy(os.path.join(EPHEMERAL, "lab-inventory.yml"), os.path.join(pdd, "inventory", "lab.yml"))
    project = os.path.join(pdd, "project")
    os.makedirs(os.path.join(project, "collections"))
    os.symlink(os.path.join(REPO, "build", "collections", "ansible_collections"),
               os.path.join(project, "collections", "ansible_collections"))
    shutil.copy(os.path.join(REPO, "ansible.cfg"), os.path.join(project, "ansible.cfg"))
    with open(os.path.join(project, "converge.yml"), "w") as fh:
        fh.write("---\n- name: Roll out\n  ansible.builtin.import_playbook: azblink.nfv.rollout\n")
    return pdd


def test_the_converge_again_under_ansible_runner_changes_nothing(reports):
    """Molecule's idempotence check, run the way AWX runs a job: the rollout the converge step ran
    (ansible-playbook), again from an AWX-shaped private_data_dir under ansible-runner. Its job events
    must show every box reached, locked, gated and unchanged, in the converge's batches."""
    import ansible_runner  # pylint: disable=import-outside-toplevel

    converged = report(os.path.join(EPHEMERAL, "reports-converge"), "rollout")
    assert sorted(b for boxes in converged["summary"].values() for b in boxes) == BOXES, converged["summary"]
    assert set(converged["summary"]) <= {"changed", "unchanged"}, converged["summary"]
    pdd = _runner_dir(reports)
    t0 = time.time()
    r = ansible_runner.run(private_data_dir=pdd, playbook="converge.yml", quiet=True,
                           envvars={"AZB_REPORT_DIR": os.path.join(reports, "runner-reports"),
                                    "ANSIBLE_CONFIG": os.path.join(pdd, "project", "ansible.cfg"),
                                    "ANSIBLE_COLLECTIONS_PATH": os.path.join(pdd, "project", "collections")},
                           timeout=900)
    secs = time.time() - t0
    events = list(r.events)
    stats = next(e for e in events if e["event"] == "playbook_on_stats")["event_data"]
    print("ansible-runner rollout: %s in %.1f s, %d job events; changed %s"
          % (r.status, secs, len(events), stats["changed"]))
    with open(os.path.join(reports, "figures.txt"), "a") as fh:
        fh.write("ansible-runner rollout (no-op): %s in %.1f s, %d job events\n" % (r.status, secs, len(events)))
    assert r.status == "successful" and r.rc == 0
    assert stats["changed"] == {}, "the second converge changed %s" % stats["changed"]
    assert not stats["failures"] and not stats["dark"]
    assert sorted(stats["ok"]) == BOXES
    # Job events per box, as AWX would store them: each box's lock, converge and health gate.
    for box in BOXES:
        names = [e["event_data"].get("task") for e in events
                 if e["event"] == "runner_on_ok" and e["event_data"].get("host") == box]
        assert "Take the converge lock (waiting up to azb_fleet_lock_wait s for another run)" in names
        assert "Pass the health gate, then release the box's converge lock" in names
    rep = report(os.path.join(reports, "runner-reports"), "rollout")
    assert rep["summary"] == {"unchanged": BOXES}, rep["summary"]
    assert rep["batches"] == converged["batches"]


def test_drift_reports_exactly_the_box_changed_by_hand(reports):
    """One drift run of the fleet: the box changed by hand is drifted, with both changes in its
    diff; the five others are in sync with no changed task (check mode tells the truth on a
    converged box). Then a rollout limited to that box repairs it."""
    hand = ("nft insert rule inet azblink forward tcp dport 3389 accept comment by-hand && "
            "echo 'net.ipv4.conf.all.log_martians = 1' >> /etc/sysctl.d/60-azblink.conf")
    assert ssh("lab-a27", hand).returncode == 0
    rc, out, secs = playbook("drift", reports)
    rep = report(reports, "drift")
    print("drift of %d boxes, one changed by hand: %.1f s" % (len(BOXES), secs))
    assert rep["check_mode"] is True
    assert rc != 0, "drift.yml exited 0 although a box drifted"
    assert rep["summary"] == {"drifted": ["lab-a27"], "in_sync": [b for b in BOXES if b != "lab-a27"]}
    for box in BOXES:
        if box != "lab-a27":
            assert rep["hosts"][box]["changed_tasks"] == 0, (box, rep["hosts"][box])
    changes = rep["hosts"]["lab-a27"]["changes"]
    by_action = dict((c["action"], c) for c in changes)
    assert "by-hand" in by_action["azblink.nfv.azb_zone"]["diff"], "the ruleset diff misses the hand-made rule"
    # The router role's files (azb_files) name the file that differs, not its lines.
    assert "/etc/sysctl.d/60-azblink.conf: content" in by_action["azblink.nfv.azb_files"]["diff"]
    with open(os.path.join(reports, "drift.md")) as fh:
        md = fh.read()
    assert "| lab-a27 | 1 | drifted |" in md and "by-hand" in md
    # Converged again (that box only), the box is back in line.
    rc, out, _secs = playbook("rollout", reports, "-l", "lab-a27")
    assert rc == 0, out[-2000:]
    assert report(reports, "rollout")["summary"] == {"changed": ["lab-a27"]}
    assert "by-hand" not in ssh("lab-a27", "nft list ruleset").stdout
    assert "log_martians" not in ssh("lab-a27", "cat /etc/sysctl.d/60-azblink.conf").stdout


def _wait_ssh(box, up, secs=60):
    deadline = time.time() + secs
    while time.time() < deadline:
        ok = ssh(box, "true", timeout=10).returncode == 0
        if ok == up:
            return True
        time.sleep(1)
    return False


def test_rollout_stops_at_a_failed_gate_and_an_unreachable_box(reports):
    """The canary passes; the second batch holds lab-a27, whose ISP drops its traffic (its health
    gate fails), and lab-a28, whose management link is down (unreachable); lab-a26 between them
    converges and passes. The rollout stops after that batch: lab-a29 and lab-a30 are never touched."""
    before = dict((b, last_converge(b)) for b in ["lab-a29", "lab-a30"])
    link = "azbm-a%s" % "lab-a28"[len("lab-a"):]
    lab("fault", "blackhole", "lab-a27", "1", "on")
    try:
        subprocess.run(["ip", "link", "set", link, "down"], check=True)
        try:
            assert _wait_ssh("lab-a28", up=False)
            rc, out, secs = playbook("rollout", reports, "-e", CHANGE,
                                     "-e", '{"azb_rollout_batches": [1, 3, "100%"]}')
        finally:
            subprocess.run(["ip", "link", "set", link, "up"], check=True)
    finally:
        lab("fault", "blackhole", "lab-a27", "1", "off")
    rep = report(reports, "rollout")
    print("rollout stopped by a failed gate and an unreachable box: %.1f s; summary %s" % (secs, rep["summary"]))
    assert rc != 0
    assert rep["batches"][:2] == [["lab-a25"], ["lab-a26", "lab-a27", "lab-a28"]], rep["batches"]
    assert rep["summary"] == {"changed": ["lab-a25"], "stopped": ["lab-a26"], "failed": ["lab-a27"],
                              "unreachable": ["lab-a28"], "never_reached": ["lab-a29", "lab-a30"]}, rep["summary"]
    assert any("no egress through the WAN" in m for m in rep["hosts"]["lab-a27"]["messages"])
    assert rep["hosts"]["lab-a26"]["changed_tasks"] > 0, "the stopped batch peer was converged in full"
    with open(os.path.join(reports, "rollout.md")) as fh:
        md = fh.read()
    for row in ("| lab-a27 | 2 | failed |", "| lab-a28 | 2 | unreachable |", "- **never_reached**: lab-a29, lab-a30"):
        assert row in md, md
    # The failed box's converge ran before its gate: it has the change; the unreachable box and the
    # later batches do not, and were not converged.
    assert has_policy("lab-a25") and has_policy("lab-a26") and has_policy("lab-a27")
    assert _wait_ssh("lab-a28", up=True)
    assert not has_policy("lab-a28")
    for box, record in before.items():
        assert not has_policy(box), "%s got the change after the rollout stopped" % box
        assert last_converge(box) == record, "%s was converged after the rollout stopped" % box


def test_rollback_targets_one_batch_of_the_last_rollout(reports):
    """rollback.yml -e azb_rollback_batch=2 works on exactly the boxes of that batch (this fleet runs
    no VMs, so there is nothing to revert: what is checked is the targeting and the lock)."""
    batch = report(reports, "rollout")["batches"][1]
    rc, out, _secs = playbook("rollback", reports, "-e", "azb_rollback_batch=2")
    assert rc == 0, out[-2000:]
    assert report(reports, "rollback")["summary"] == {"unchanged": batch}


def test_status_reports_every_box(reports):
    rc, out, secs = playbook("status", reports)
    assert rc == 0, out[-2000:]
    with open(os.path.join(reports, "fleet-status.json")) as fh:
        status = json.load(fh)
    print("status of %d boxes: %.1f s" % (len(status), secs))
    assert sorted(status) == BOXES
    for box, s in status.items():
        assert s["os"].startswith("Debian GNU/Linux 12"), box
        assert s["packages"]["libvirt-daemon-system"], box
        assert s["services"]["libvirtd"]["active"] == "active", box
        assert s["services"]["systemd-networkd"]["active"] == "active", box
        assert s["vms"] == [], box
        # the lab's appliances get no /dev/kvm: the box must say its VMs would be emulated
        assert s["kvm"] is (ssh(box, "test -c /dev/kvm && test -w /dev/kvm").returncode == 0), box
        assert s["last_converge"]["collection"], box
        assert s["lock"] is None, box
    with open(os.path.join(reports, "fleet-status.md")) as fh:
        md = fh.read()
    for box in BOXES:
        assert "| %s | tenant_" % box in md


def holds_guard(box):
    """Whether a process on the box has the lock's guard file open: a converge in its lock loop."""
    return ssh(box, "ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q 'converge.lock.guard'").returncode == 0


def test_two_concurrent_converges_of_one_box(reports, tmp_path):
    """A run holds lab-a25's lock (hold_lock.yml: the rollout's own lock action, held until the test
    says); a rollout that may wait waits for it, one that may not is refused naming the holder, and
    the box ends consistent. The holder lets go only once the waiting rollout is seen in its lock loop
    on the box, so the wait is certain, not a race against how fast the first run is."""
    results, waiter = {}, None
    release = tmp_path / "release"

    def run(key, name, *args):
        results[key] = playbook(name, reports, *args)

    first = threading.Thread(target=run, args=("first", "hold_lock.yml", "-e", "azb_target=lab-a25",
                                               "-e", "hold_release_file=%s" % release))
    first.start()
    try:
        deadline = time.time() + 120
        while ssh("lab-a25", "test -d /run/azblink/converge.lock").returncode != 0:
            assert time.time() < deadline and first.is_alive(), "the first run never took the lock"
            time.sleep(0.5)
        holder = ssh("lab-a25", "cat /run/azblink/converge.lock/holder").stdout.strip()
        waiter = threading.Thread(target=run, args=("waited", "rollout", "-l", "lab-a25", "-e", CHANGE,
                                                    "-e", "azb_fleet_lock_wait=300"))
        waiter.start()
        run("refused", "rollout", "-l", "lab-a25", "-e", CHANGE, "-e", "azb_fleet_lock_wait=0")
        deadline = time.time() + 120
        while not holds_guard("lab-a25"):
            assert time.time() < deadline and waiter.is_alive(), "the second converge never reached the lock"
            time.sleep(0.5)
    finally:
        release.write_text("")
    first.join(600)
    if waiter is not None:
        waiter.join(600)
    rc, out, _secs = results["refused"]
    assert rc != 0
    assert "lab-a25 is being converged by another run (%s)" % holder in " ".join(out.split())
    assert results["first"][0] == 0, results["first"][1][-2000:]
    rc, out, _secs = results["waited"]
    assert rc == 0, out[-2000:]
    waited = [line.strip() for line in out.splitlines() if "converge lock acquired after" in line]
    print("second converge: %s" % waited)
    assert waited and "(waited for: %s)" % holder in " ".join(out.split()), "the second converge did not wait"
    assert ssh("lab-a25", "test -e /run/azblink/converge.lock").returncode != 0, "a lock was left behind"
    rc, out, _secs = playbook("drift", reports, "-l", "lab-a25,localhost", "-e", CHANGE)
    assert rc == 0 and report(reports, "drift")["summary"] == {"in_sync": ["lab-a25"]}, out[-2000:]
