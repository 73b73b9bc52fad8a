"""The scenario tests' shared helpers: vars, namespaces, bounded commands and waits."""
import time

from tests.lab import scenario


def test_vars_come_from_the_scenario_directory(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "vars.yml").write_text("qos_lab_appliance: lab-a22\n")
    assert scenario.load_vars(str(tmp_path / "tests")) == {"qos_lab_appliance": "lab-a22"}


def test_client_namespaces_are_named_as_the_lab_names_them():
    clients = [{"label": "c3", "address": "10.3.0.50/24"}, {"label": "voice", "address": "10.3.0.51/24"}]
    assert scenario.client_namespaces("lab-a22", clients) == {"c3": "azb-a22-c-c3", "voice": "azb-a22-c-voice"}
    assert scenario.appliance_index("lab-a3") == "3"


def test_wait_for_returns_the_first_true_value():
    answers = iter([None, "", "1.0", "2.0"])
    assert scenario.wait_for(lambda: next(answers), 5, 0.01) == "1.0"


def test_wait_for_gives_up_at_its_deadline_with_a_false_value():
    t = time.monotonic()
    assert not scenario.wait_for(lambda: False, 0.3, 0.05)
    assert 0.3 <= time.monotonic() - t < 3


def test_in_ns_runs_in_the_namespace_with_a_time_bound(monkeypatch):
    seen = {}

    def run(argv, **kw):
        seen["argv"], seen["kw"] = argv, kw
    monkeypatch.setattr(scenario.subprocess, "run", run)
    scenario.in_ns("azb-a3-c-c3", ("curl", "-s"), timeout=5, data="x")
    assert seen["argv"] == ["ip", "netns", "exec", "azb-a3-c-c3", "curl", "-s"]
    assert seen["kw"]["timeout"] == 5 and seen["kw"]["input"] == "x" and seen["kw"]["check"] is False
