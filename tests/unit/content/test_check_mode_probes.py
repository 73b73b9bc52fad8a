"""Check mode must tell the truth: a read-only probe (command, shell or script with
``changed_when: false``) must run in check mode too (``check_mode: false``). Skipped, it leaves no
rc or stdout behind, and the tasks that decide on it then report a change that is not there (the
hypervisor role's cgroup probe did: every --check on a converged box said changed=2)."""
import glob
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROBES = {"ansible.builtin.command", "ansible.builtin.shell", "ansible.builtin.script", "command", "shell", "script"}


def _tasks(tasks):
    for t in tasks or []:
        if not isinstance(t, dict):
            continue
        yield t
        for key in ("block", "rescue", "always"):
            yield from _tasks(t.get(key))


def _task_files():
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        with open(path) as fh:
            yield path, list(_tasks(yaml.safe_load(fh)))
    for path in sorted(glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))):
        with open(path) as fh:
            plays = yaml.safe_load(fh) or []
        for play in plays:
            for key in ("pre_tasks", "tasks", "post_tasks"):
                yield path, list(_tasks(play.get(key)))


def read_only_probes_skipped_in_check_mode():
    found = []
    for path, tasks in _task_files():
        for t in tasks:
            # A task that says it does not run in check mode (when: not ansible_check_mode) is no probe.
            says_skip = "not ansible_check_mode" in str(t.get("when", ""))
            if any(k in t for k in PROBES) and t.get("changed_when") is False and t.get("check_mode") is not False \
                    and not says_skip:
                found.append("%s: %s" % (os.path.relpath(path, ROOT), t.get("name")))
    return found


def test_every_read_only_probe_runs_in_check_mode():
    assert read_only_probes_skipped_in_check_mode() == []


def test_the_scan_finds_a_probe_without_check_mode(tmp_path, monkeypatch):
    """The scan itself can fail: a role with such a probe is reported."""
    role = tmp_path / "roles" / "r" / "tasks"
    role.mkdir(parents=True)
    (role / "main.yml").write_text("- name: Probe\n  ansible.builtin.command: test -w /sys\n  changed_when: false\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    assert read_only_probes_skipped_in_check_mode() == ["roles/r/tasks/main.yml: Probe"]


def _site_roles():
    with open(os.path.join(ROOT, "playbooks", "site.yml")) as fh:
        play = yaml.safe_load(fh)[0]
    return [r["role"].split(".")[-1] for r in play["roles"]]


def test_the_fleet_playbooks_converge_the_roles_of_site_yml():
    """rollout.yml and drift.yml take their roles from vars/fleet_roles.yml: its default list must be
    site.yml's, in order (wan only where WANs are declared, as site.yml's when: says)."""
    with open(os.path.join(ROOT, "playbooks", "vars", "fleet_roles.yml")) as fh:
        expr = yaml.safe_load(fh)["azb_fleet_roles"]
    listed = [w.strip("'") for w in re.findall(r"'([a-z_]+)'", expr)]
    assert listed == _site_roles()


@pytest.mark.parametrize("playbook", ["rollout.yml", "drift.yml"])
def test_fleet_playbooks_use_the_shared_role_list(playbook):
    with open(os.path.join(ROOT, "playbooks", playbook)) as fh:
        play = yaml.safe_load(fh)[0]
    assert play["vars_files"] == ["vars/fleet_roles.yml"]
    loops = [t.get("loop") for t in _tasks(play["tasks"]) if "ansible.builtin.include_role" in t]
    assert "{{ azb_fleet_roles }}" in loops
