"""playbooks/evidence.yml against lab-a20: the report is green for the converged site, renders in a
real browser (Debian's chromium, headless) with the matrix and the topology picture and no console
error, and after an accept rule is inserted by hand on the box the next report shows that cell as a
mismatch and the playbook fails.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(SCENARIO, "../../..")))
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", os.path.join(EPHEMERAL, "inventory"))
with open(os.path.join(SCENARIO, "vars.yml")) as fh:
    VARS = yaml.safe_load(fh)
APP = VARS["obs_lab_appliance"]
OUT = os.path.join(EPHEMERAL, "evidence")
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--enable-logging=stderr",
            "--v=0"]
# The hand-made hole: the restricted zone (lab, br1) may not initiate to office (br3).
HOLE = 'iifname "br1" oifname "br3" accept comment "azb-evidence-test"'


def evidence():
    t0 = time.monotonic()
    res = subprocess.run([os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", INVENTORY,
                          os.path.join(REPO, "playbooks/evidence.yml"), "-e", "@" + os.path.join(SCENARIO, "vars.yml"),
                          "-e", "azb_target=all", "-e", "azb_evidence_dir=" + OUT],
                         capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
    print("evidence.yml rc %d in %.1f s" % (res.returncode, time.monotonic() - t0))
    report = None
    path = os.path.join(OUT, APP + ".json")
    if os.path.exists(path):
        with open(path) as fh:
            report = json.load(fh)
    return res, report


def chromium_dump(path):
    """The DOM chromium built from PATH and the console messages it logged (CONSOLE lines)."""
    # Its profile, config and crash database in a scratch directory: the user's home stays as it was.
    scratch = tempfile.mkdtemp(prefix="azb-chromium-")
    try:
        env = dict(os.environ, XDG_CONFIG_HOME=scratch, XDG_CACHE_HOME=scratch)
        res = subprocess.run(CHROMIUM + ["--user-data-dir=" + scratch, "--dump-dom", "file://" + path],
                             capture_output=True, text=True, timeout=120, check=False, env=env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert res.returncode == 0, res.stderr[-2000:]
    console = [line for line in res.stderr.splitlines() if "CONSOLE" in line]
    return res.stdout, console


def cell(report, src, dst):
    return [c for c in report["matrix"] if c["from"] == src and c["to"] == dst][0]


@pytest.fixture(scope="module")
def green_report():
    res, report = evidence()
    assert res.returncode == 0, res.stdout[-3000:]
    # Kept aside: a later test breaks a cell and rewrites the report (pytest orders by fixtures).
    for name in (APP + ".html", "index.html"):
        shutil.copy(os.path.join(OUT, name), os.path.join(OUT, "green-" + name))
    return report


def test_report_is_green_for_the_converged_site(green_report):
    r = green_report
    print("cells:", [(c["from"], c["to"], c["expected"], c["observed"]) for c in r["matrix"]],
          "probed in", r["probe_seconds"], "s")
    assert r["mismatches"] == 0 and r["matrix"]
    assert cell(r, "office", "lab")["observed"] == "allowed"
    assert cell(r, "lab", "office")["observed"] == "refused"
    assert re.match(r"^[0-9a-f]{64}$", r["ruleset_sha256"])
    assert r["management"]["from_controller"] == [[22, "reachable"], [9100, "reachable"]]
    with open(os.path.join(OUT, "index.json")) as fh:
        assert json.load(fh)["mismatches"] == 0


def test_probe_namespaces_are_gone_afterwards(host, green_report):
    assert not [n for n in host.check_output("ip netns list").split() if n.startswith("azbev")]
    assert "azbev" not in host.check_output("ip -br link")


def test_console_errors_are_seen_by_this_check(tmp_path):
    """The detector itself: a page that logs an error must be caught (so a pass below means something)."""
    page = tmp_path / "control.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('control error')</script></body></html>")
    console = chromium_dump(str(page))[1]
    assert [line for line in console if "control error" in line], "chromium's console log is not visible"


def test_report_renders_in_chromium_with_matrix_and_picture(green_report):
    dom, console = chromium_dump(os.path.join(OUT, "green-" + APP + ".html"))
    assert not console, console
    assert 'id="matrix"' in dom and dom.count('class="cell ok') == len(green_report["matrix"])
    assert "<svg" in dom and 'data-zone="office"' in dom and 'data-zone="lab"' in dom
    assert "Every cell as declared" in dom
    index, console = chromium_dump(os.path.join(OUT, "green-index.html"))
    assert not console and APP in index


def test_a_hand_inserted_accept_shows_as_a_mismatch_and_fails(host, green_report):
    host.run_test("nft insert rule inet azblink forward %s" % HOLE)
    try:
        res, report = evidence()
    finally:
        rules = host.check_output("nft -a list chain inet azblink forward")
        for handle in re.findall(r'comment "azb-evidence-test" # handle (\d+)', rules):
            host.run_test("nft delete rule inet azblink forward handle %s" % handle)
    assert res.returncode != 0, "the playbook passed with a hole in the firewall"
    assert "lab -> office" in res.stdout and "observed allowed" in res.stdout
    bad = [(c["from"], c["to"], c["observed"]) for c in report["matrix"] if not c["ok"]]
    assert bad == [("lab", "office", "allowed")]
    assert report["ruleset_sha256"] != green_report["ruleset_sha256"]
    dom, console = chromium_dump(os.path.join(OUT, APP + ".html"))
    assert not console and 'class="cell mismatch' in dom and 'data-from="lab" data-to="office"' in dom
    assert "azb-evidence-test" not in host.check_output("nft list chain inet azblink forward")
