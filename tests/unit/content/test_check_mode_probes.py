"""Check mode must tell the truth: a read-only probe (command, shell or script with
``changed_when: false``) must run in check mode too (``check_mode: false``). Skipped, it leaves no
rc or stdout behind, and the tasks that decide on it then report a change that is not there (the
hypervisor role's cgroup probe did: every --check on a converged box said changed=2)."""
import ast
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


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as fh:
        return yaml.safe_load(fh)


def _names(expr):
    return [w.strip("'") for w in re.findall(r"'([a-z_]+)'", expr)]


# The includes loop over the roles the variable check names (its result, registered), those of the
# declared roles that it keeps.
OPTIONAL_LOOP = re.compile(r"^\{\{ azb_site_checked\.validated_roles \| intersect\((\[[^]]*\])\) \}\}$")


def _site_steps():
    """(role, optional) for each role the site role's tasks run, in order: an import, or one of the
    names an include loops over (those of the declared roles it keeps)."""
    for t in _yaml("roles", "site", "tasks", "main.yml"):
        if "azblink.nfv.azb_validate_roles" in t:  # the roles' variable check, before any of them
            continue
        if "ansible.builtin.import_role" in t:
            yield t["ansible.builtin.import_role"]["name"].split(".")[-1], False
            continue
        match = OPTIONAL_LOOP.match(" ".join(t["loop"].split()))
        assert match and t["ansible.builtin.include_role"]["name"] == "{{ azb_site_optional_role }}", t
        for name in ast.literal_eval(match.group(1)):
            assert name.startswith("azblink.nfv."), name
            yield name.split(".")[-1], True


def _site_role_order():
    """The site role's roles as it runs them: its dependencies, then its imports and includes."""
    deps = [d["role"].split(".")[-1] for d in _yaml("roles", "site", "meta", "main.yml")["dependencies"]]
    return deps + [name for name, _optional in _site_steps()]


def test_the_site_role_runs_the_declared_roles_in_order():
    declared = _yaml("roles", "site", "defaults", "main.yml")["azb_site_declared_roles"]
    tasks = _yaml("roles", "site", "tasks", "main.yml")
    # the check of the site's and the included roles' variables comes first, and every include skips
    # Ansible's own (the collection's playbooks include the site role itself without it too)
    assert tasks[0]["azblink.nfv.azb_validate_roles"]["roles"] == (
        "{{ ['site'] + azb_site_declared_roles | difference(['hypervisor', 'zones']) }}")
    assert tasks[0]["register"] == "azb_site_checked"
    for playbook in ("site.yml", "rollout.yml", "drift.yml"):
        for play in _yaml("playbooks", playbook):
            for t in _tasks(play.get("tasks") or []):
                role = t.get("ansible.builtin.import_role") or t.get("ansible.builtin.include_role") or {}
                if role.get("name") == "azblink.nfv.site":
                    assert role["rolespec_validate"] is False, (playbook, t["name"])
    for t in tasks[1:]:
        assert (t.get("ansible.builtin.import_role") or t.get("ansible.builtin.include_role"))["rolespec_validate"] is False, t
    assert _site_role_order() == _names(declared)
    # every optional role is included where the list declares it conditionally, the others imported
    for name, optional in _site_steps():
        assert ("(['%s'] if" % name in declared) == optional, name


def test_site_yml_converges_the_site_role():
    play = _yaml("playbooks", "site.yml")[0]
    assert [t["ansible.builtin.import_role"]["name"] for t in _tasks(play["tasks"])
            if "ansible.builtin.import_role" in t] == ["azblink.nfv.site"]


def _converge_play(playbook):
    """The play of a fleet playbook that converges the boxes (the one that reports, azb_fleet_report)."""
    return next(p for p in _yaml("playbooks", playbook) if (p.get("vars") or {}).get("azb_fleet_report"))


@pytest.mark.parametrize("playbook", ["rollout.yml", "drift.yml"])
def test_fleet_playbooks_converge_the_site_role_unless_narrowed(playbook):
    """The whole site goes through the site role, which runs each role once (a loop of include_role
    ran the hypervisor role twice: again as the workloads role's dependency); a fleet that narrows
    its site (azb_site_roles) gets exactly those roles."""
    tasks = [t for t in _tasks(_converge_play(playbook)["tasks"]) if "ansible.builtin.include_role" in t]
    # One include: the site role (its variables checked by itself) unless the inventory narrows it,
    # then those roles with Ansible's check of their variables.
    assert len(tasks) == 1, tasks
    include = tasks[0]
    assert include["loop"] == "{{ azb_site_roles | default(['site']) }}"
    assert include["ansible.builtin.include_role"]["name"] == "azblink.nfv.{{ azb_fleet_role }}"
    assert include["ansible.builtin.include_role"]["rolespec_validate"] == "{{ azb_site_roles is defined }}"
    assert not [t for t in tasks if t.get("loop") == "{{ azb_fleet_roles }}"], "the roles one by one again"


def _includes(tasks, tasks_from):
    """The tasks that take ("lock") or release ("unlock") the converge lock: the fleet role's task
    files, or its action called directly."""
    def lock_state(t):
        if "azblink.nfv.azb_fleet_lock" in t:
            state = (t["azblink.nfv.azb_fleet_lock"] or {}).get("state", "acquired")
            return {"acquired": "lock", "released": "unlock"}.get(state)
        return (t.get("ansible.builtin.include_role") or {}).get("tasks_from")
    return [t for t in _tasks(tasks) if lock_state(t) == tasks_from]


def _gate_releases(task):
    return bool(((task or {}).get("azblink.nfv.azb_fleet_gate") or {}).get("release_lock"))


def lock_left_on_failure(play):
    """Where a play takes the box's converge lock outside a block that releases it whatever happens
    (in always:, or as its last task - the health gate's release_lock - and in rescue:, which then
    fails the box again): a failed converge would keep the box locked until the lock lapses. The
    reason, else None."""
    for key in ("pre_tasks", "tasks", "post_tasks"):
        for t in play.get(key) or []:
            if _includes([t], "lock"):
                if "block" not in t or not _includes(t["block"], "lock"):
                    return "%s: the lock is taken outside a block" % key
                if _includes(t.get("always"), "unlock"):
                    continue
                rescue = t.get("rescue") or []
                if not (_gate_releases(t["block"][-1]) and _includes(rescue, "unlock")):
                    return "%s: the block that takes the lock does not release it in always:" % key
                if "ansible.builtin.fail" not in rescue[-1]:
                    return "%s: the rescue that releases the lock does not fail the box again" % key
    return None


@pytest.mark.parametrize("playbook", ["site.yml", "rollout.yml", "drift.yml", "rollback.yml"])
def test_a_failed_converge_releases_the_lock(playbook):
    with open(os.path.join(ROOT, "playbooks", playbook)) as fh:
        plays = [p for p in yaml.safe_load(fh) if any(_includes(p.get(k), "lock") for k in ("pre_tasks", "tasks", "post_tasks"))]
    assert plays, "%s takes no lock" % playbook
    assert [lock_left_on_failure(p) for p in plays] == [None] * len(plays)


def test_the_lock_check_finds_a_lock_released_in_post_tasks():
    """The check itself can fail: site.yml as it was (lock in pre_tasks, unlock in post_tasks)."""
    lock = {"ansible.builtin.include_role": {"name": "azblink.nfv.fleet", "tasks_from": "lock"}}
    unlock = {"ansible.builtin.include_role": {"name": "azblink.nfv.fleet", "tasks_from": "unlock"}}
    assert lock_left_on_failure({"pre_tasks": [lock], "post_tasks": [unlock]}) == \
        "pre_tasks: the lock is taken outside a block"
    assert lock_left_on_failure({"tasks": [{"block": [lock], "rescue": [unlock]}]}) == \
        "tasks: the block that takes the lock does not release it in always:"
    gate = {"azblink.nfv.azb_fleet_gate": {"release_lock": "{{ azb_fleet_lock.holder }}"}}
    fail = {"ansible.builtin.fail": {"msg": "x"}}
    assert lock_left_on_failure({"tasks": [{"block": [lock, gate], "rescue": [unlock]}]}) == \
        "tasks: the rescue that releases the lock does not fail the box again"
    assert lock_left_on_failure({"tasks": [{"block": [lock, gate], "rescue": [fail]}]}) == \
        "tasks: the block that takes the lock does not release it in always:"
    assert lock_left_on_failure({"tasks": [{"block": [lock, gate], "rescue": [unlock, fail]}]}) is None
    action = {"azblink.nfv.azb_fleet_lock": None}
    assert lock_left_on_failure({"tasks": [action, {"block": [], "always": [unlock]}]}) == \
        "tasks: the lock is taken outside a block"
