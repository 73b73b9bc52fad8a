"""The closing summary of `make test` (tests/summarize.py): a failure anywhere shows, always."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import summarize  # noqa: E402  (tests/summarize.py, a script beside this package)

JUNIT = """<testsuites><testsuite name="pytest" tests="3" failures="1" skipped="1">
<testcase classname="test_zones" name="test_ok"/>
<testcase classname="test_zones" name="test_bad"><failure message="boom"/></testcase>
<testcase classname="test_zones" name="test_skip"><skipped message="no kernel feature"/></testcase>
</testsuite></testsuites>"""


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_failing_ids_stages_and_scenarios_are_all_reported(tmp_path, capsys):
    write(tmp_path, "molecule-zones.xml", JUNIT)
    write(tmp_path, "stages.tsv", "lint\tfailed\t12\nunit\tpassed\t30\nmolecule\tfailed\t600\n")
    write(tmp_path, "scenarios.json", json.dumps({"wall_seconds": 600, "jobs": 3, "scenarios": {
        "zones": {"status": "failed", "seconds": 200, "log": "z.log"},
        "wan": {"status": "failed", "seconds": 100, "log": "w.log"},
        "default": {"status": "passed", "seconds": 90, "log": "d.log"}}}))
    assert summarize.main(str(tmp_path)) == 1
    out = capsys.readouterr().out
    assert "FAILED test_zones::test_bad" in out
    assert "FAILED stage:lint" in out
    assert "FAILED scenario:wan (see w.log)" in out          # broke before its verify wrote a report
    assert "scenario:zones" not in out                       # its failing test is already named
    assert "scenario zones" in out and "200s" in out         # per-scenario time
    assert "SKIPPED test_zones::test_skip: no kernel feature" in out  # a skip says why
    assert out.rstrip().splitlines()[-1] == "make test: 1 passed, 3 failed, 1 skipped"


def test_nothing_executed_is_not_green(tmp_path, capsys):
    assert summarize.main(str(tmp_path)) == 1
    assert "make test: 0 passed, 0 failed, 0 skipped" in capsys.readouterr().out


def test_a_clean_run_passes(tmp_path, capsys):
    write(tmp_path, "unit.xml", JUNIT.replace('<failure message="boom"/>', ""))
    assert summarize.main(str(tmp_path)) == 0
    assert capsys.readouterr().out.rstrip().endswith("make test: 2 passed, 0 failed, 1 skipped")


def test_a_scenario_broken_before_its_verify_says_why_at_the_end(tmp_path, capsys):
    # CI shows only the end of the output: the failed task's message must be there, not only a log
    # path. The YAML callback (the lab's) puts it in the [ERROR] line, the default one after "=>".
    log = tmp_path / "f.log"
    log.write_text("PLAY [Roll out]\nok: [localhost]\n"
                   "[ERROR]: Task failed: Module failed: systemctl start azb-wan-health.service failed: " + "x" * 900 + "\n"
                   "Origin: /x/roles/wan/tasks/main.yml:19:3\n"
                   "fatal: [lab-a10]: FAILED! =>\n    changed: false\n"
                   "fatal: [lab-a11]: FAILED! => {\"msg\": \"peer 'lab-a10' is neither in the play nor declared\"}\n"
                   "PLAY RECAP\nCRITICAL Ansible return code was 2, command was: ansible-playbook\n"
                   "ERROR    Molecule executed 1 scenario (1 failed)\n")
    write(tmp_path, "unit.xml", JUNIT.replace('<failure message="boom"/>', ""))
    write(tmp_path, "scenarios.json", json.dumps({"wall_seconds": 9, "jobs": 1, "scenarios": {
        "site": {"status": "failed", "seconds": 144, "log": str(log)}}}))
    assert summarize.main(str(tmp_path)) == 1
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-1] == "make test: 2 passed, 1 failed, 1 skipped"
    why = lines[lines.index("why (from the failed scenarios' logs):") + 1:-1]
    assert why[0].startswith("  site: [ERROR]: Task failed: Module failed: systemctl start azb-wan-health.service")
    assert why[0].endswith(" ...") and len(why[0]) < 750                  # cut short, not the whole line
    assert why[1] == "  site: fatal: [lab-a11]: FAILED! => {\"msg\": \"peer 'lab-a10' is neither in the play nor declared\"}"
    assert why[2] == "  site: CRITICAL Ansible return code was 2, command was: ansible-playbook"
    assert len(why) == 3                  # not the empty YAML fatal line, the recap or Molecule's echo
