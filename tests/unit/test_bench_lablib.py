"""The benchmarks' shared helpers: the p95 they report, the play a converge runs, a Molecule step."""
import subprocess

import pytest

from bench import lablib


def test_p95_is_the_nearest_rank_of_the_sorted_values():
    assert lablib.p95([5.0]) == 5.0
    assert lablib.p95(list(range(20, 0, -1))) == 19
    assert lablib.p95([0.4, 0.2, 3.0, 0.3]) == 3.0


def test_converge_runs_the_roles_on_the_appliance_with_the_vars(monkeypatch, tmp_path):
    seen = {}

    def run(argv, env=None, **kw):
        seen["argv"], seen["env"] = argv, env
        with open(argv[-1]) as fh:
            seen["play"] = fh.read()
        with open(argv[-2][1:]) as fh:
            seen["vars"] = fh.read()
        return subprocess.CompletedProcess(argv, 0, "ok", "")
    monkeypatch.setattr(lablib.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(lablib.subprocess, "run", run)
    monkeypatch.delenv("ANSIBLE_COLLECTIONS_PATH", raising=False)
    lablib.converge("inv.yml", "lab-a4", "wan", ["azblink.nfv.zones", "azblink.nfv.wan"], {"azb_wan_mode": "failover"},
                    900, collections=True)
    assert seen["argv"][1:3] == ["-i", "inv.yml"]
    assert seen["play"] == "- hosts: lab-a4\n  become: true\n  gather_facts: true\n  roles: [azblink.nfv.zones, azblink.nfv.wan]\n"
    assert seen["vars"] == '{"azb_wan_mode": "failover"}'
    assert seen["env"]["ANSIBLE_COLLECTIONS_PATH"].endswith("build/collections")


def test_a_failed_converge_stops_the_bench(monkeypatch, tmp_path):
    monkeypatch.setattr(lablib.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(lablib.subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(argv, 2, "boom", ""))
    with pytest.raises(SystemExit) as exc:
        lablib.converge("inv.yml", "lab-a4", "wan", ["azblink.nfv.wan"], {}, 900)
    assert "converge failed" in str(exc.value) and "boom" in str(exc.value)


def test_molecule_passes_extra_arguments_after_a_separator(monkeypatch):
    calls = []
    monkeypatch.setattr(lablib.subprocess, "run", lambda argv, **kw: calls.append(argv))
    lablib.molecule("ha", "converge", "-e", "@x.yml")
    lablib.molecule("qos", "create")
    assert calls[0][1:] == ["converge", "-s", "ha", "--", "-e", "@x.yml"]
    assert calls[1][1:] == ["create", "-s", "qos"]
