"""azb_files' helpers: run after the files, --check in check mode, changed from their own lines,
skipped in check mode while they (or their input) are only about to be written."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import helpers

SYSCTL = {"argv": ["/usr/local/lib/azblink/apply-sysctls", "/etc/sysctl.d/60-azblink.conf"]}
POOL = {"argv": ["python3", "/usr/local/lib/azblink/azb-ensure-pool.py", "azb", "/var/lib/azblink/pool"]}


class Runner(object):
    def __init__(self, answers=None):
        self.calls, self.answers = [], answers or {}

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answers.get(argv[0], (0, "", ""))


def test_a_converged_box_reports_nothing_and_each_helper_runs_once_in_order():
    run = Runner()
    assert helpers.run([SYSCTL, POOL], run) == []
    assert run.calls == [SYSCTL["argv"], POOL["argv"]]


def test_changed_lines_make_the_change_other_output_does_not():
    run = Runner({"python3": (0, "pool azb: ok\nchanged: start pool azb\nchanged: autostart pool azb\n", "")})
    assert helpers.run([SYSCTL, POOL], run) == [
        (" ".join(POOL["argv"]), ["changed: start pool azb", "changed: autostart pool azb"])]


def test_check_mode_appends_check_and_skips_helpers_whose_paths_are_still_to_be_written():
    run = Runner({SYSCTL["argv"][0]: (0, "changed net.ipv4.ip_forward 0 -> 1\n", "")})
    got = helpers.run([SYSCTL, POOL], run, check_mode=True,
                      changed_paths=["/usr/local/lib/azblink/azb-ensure-pool.py"])
    assert run.calls == [SYSCTL["argv"] + ["--check"]]
    assert got == [(" ".join(SYSCTL["argv"]), ["changed net.ipv4.ip_forward 0 -> 1"])]
    # outside check mode the files are on the box already: every helper runs
    run = Runner()
    helpers.run([SYSCTL, POOL], run, changed_paths=["/usr/local/lib/azblink/azb-ensure-pool.py"])
    assert len(run.calls) == 2


def test_a_failing_helper_fails_naming_its_field_and_stops_the_rest():
    run = Runner({SYSCTL["argv"][0]: (1, "", "sysctl: permission denied\n")})
    with pytest.raises(helpers.HelperError, match=r"helpers\[0\]: .*apply-sysctls .* exited 1: sysctl: permission denied"):
        helpers.run([SYSCTL, POOL], run)
    assert len(run.calls) == 1


@pytest.mark.parametrize("bad", [{"argv": []}, {"argv": None}, {"argv": ["prog", ""]}, {}])
def test_a_helper_without_a_command_is_refused_by_field(bad):
    with pytest.raises(ValueError, match=r"helpers\[1\]\.argv"):
        helpers.check([SYSCTL, bad])
