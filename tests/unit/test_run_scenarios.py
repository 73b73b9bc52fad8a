"""How `make molecule` (tests/run_scenarios.py) splits a solo scenario: only its timed step waits for a
lab of its own, and a failed step still cleans up. The commands run for real in a shell, with a stand-in
for Molecule that records its calls (a real Molecule run is what `make test` itself does)."""
import os
import subprocess
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import run_scenarios  # noqa: E402  (tests/run_scenarios.py, a script beside this package)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def fake_molecule(tmp_path, failing_step):
    calls = tmp_path / "calls"
    tool = tmp_path / "molecule"
    tool.write_text("#!/bin/sh\necho \"$1\" >> %s\n[ \"$1\" != %s ]\n" % (calls, failing_step))
    tool.chmod(0o755)
    return str(tool), calls


def run(tmp_path, monkeypatch, failing_step):
    monkeypatch.chdir(ROOT)
    tool, calls = fake_molecule(tmp_path, failing_step)
    parts = run_scenarios.parts("wan", SimpleNamespace(molecule=tool), {"wan"})
    rcs = []
    for argv, _alone in parts:
        rcs.append(subprocess.run(argv, check=False).returncode)
        if rcs[-1]:
            break
    return parts, rcs, calls.read_text().split()


def test_only_the_verify_step_of_a_solo_scenario_runs_alone(tmp_path, monkeypatch):
    parts, rcs, calls = run(tmp_path, monkeypatch, "none")
    assert [alone for _argv, alone in parts] == [False, True]
    assert rcs == [0, 0]
    assert calls == ["destroy", "syntax", "create", "prepare", "converge", "idempotence", "verify", "cleanup",
                     "destroy"]


def test_a_failed_set_up_step_still_cleans_up_and_fails(tmp_path, monkeypatch):
    _parts, rcs, calls = run(tmp_path, monkeypatch, "converge")
    assert rcs[-1] != 0 and len(rcs) == 1
    assert calls == ["destroy", "syntax", "create", "prepare", "converge", "cleanup", "destroy"]


def test_a_failed_verify_still_cleans_up_and_fails(tmp_path, monkeypatch):
    _parts, rcs, calls = run(tmp_path, monkeypatch, "verify")
    assert rcs == [0, 1]
    assert calls[-3:] == ["verify", "cleanup", "destroy"]


def test_a_scenario_not_solo_is_one_molecule_test(monkeypatch):
    monkeypatch.chdir(ROOT)
    parts = run_scenarios.parts("zones", SimpleNamespace(molecule="molecule"), {"wan"})
    assert parts == [(["molecule", "test", "-s", "zones"], False)]
