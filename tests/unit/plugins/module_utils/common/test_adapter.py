"""The adapter base every module's adapter shares: files whole or not at all with their mode,
commands that must succeed fail with the adapter's own error and what failed, systemd questions,
the module's one nft table."""
import os
import stat

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.common.adapter import Commands, Files, NftTable


class BoxError(RuntimeError):
    pass


class FakeRun(object):
    """Answers by the command's first words; records every call."""

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.calls = []

    def __call__(self, argv, data=None):
        self.calls.append((list(argv), data))
        for n in range(len(argv), 0, -1):
            if tuple(argv[:n]) in self.answers:
                return self.answers[tuple(argv[:n])]
        return 0, "", ""


class Box(Commands):
    error = BoxError


class Table(NftTable):
    error = BoxError
    nft_family = "ip"
    nft_table = "azblink_t"


class Scripts(Files):
    def file_mode(self, path):
        return 0o755 if path.endswith(".sh") else 0o644


def test_write_makes_the_directory_and_gives_the_mode(tmp_path):
    path = str(tmp_path / "etc" / "azblink" / "x.conf")
    Files().write(path, "a\n")
    assert Files.read(path) == "a\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_the_callers_mode_wins_and_a_subclass_picks_the_default(tmp_path):
    Scripts().write(str(tmp_path / "apply.sh"), "#!/bin/sh\n")
    Scripts().write(str(tmp_path / "key"), b"secret", 0o600)
    assert stat.S_IMODE(os.stat(str(tmp_path / "apply.sh")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(tmp_path / "key")).st_mode) == 0o600
    assert Files.read(str(tmp_path / "key"), binary=True) == b"secret"


def test_missing_or_undecodable_files_read_as_none(tmp_path):
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    assert Files.read(str(tmp_path / "nothing")) is None
    assert Files.read(str(tmp_path / "bin")) is None


def test_remove_takes_files_links_and_directories_and_ignores_the_absent(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "f").write_text("x")
    os.symlink(str(tmp_path / "gone"), str(tmp_path / "dangling"))
    for name in ("d", "f", "dangling", "never-was"):
        Files.remove(str(tmp_path / name))
    assert os.listdir(str(tmp_path)) == []


def test_listdir_is_sorted_and_empty_for_a_missing_directory(tmp_path):
    for name in ("b", "a", "c"):
        (tmp_path / name).write_text("")
    assert Files.listdir(str(tmp_path)) == ["a", "b", "c"]
    assert Files.listdir(str(tmp_path / "missing")) == []


def test_run_ok_returns_the_output_or_raises_the_adapters_error_naming_what_failed():
    run = FakeRun({("ip", "-batch"): (1, "", "Error: bad rule\n"), ("ip", "-j"): (0, "[]", "")})
    box = Box(run)
    assert box.run_ok(["ip", "-j", "rule"]) == "[]"
    with pytest.raises(BoxError) as exc:
        box.run_ok(["ip", "-batch", "-"], data="rule add\n", what="ip -batch (rules)")
    assert str(exc.value) == "ip -batch (rules) failed: Error: bad rule"
    assert run.calls[-1] == (["ip", "-batch", "-"], "rule add\n")


def test_must_is_systemctl_that_must_work_and_questions_are_its_exit_status():
    run = FakeRun({("systemctl", "is-enabled"): (1, "", ""), ("systemctl", "restart"): (5, "", "Unit x not found.")})
    box = Box(run)
    assert box.unit_active("a.service") and not box.unit_enabled("a.service")
    box.must("daemon-reload")
    with pytest.raises(BoxError) as exc:
        box.must("restart", "x.service")
    assert str(exc.value) == "systemctl restart x.service failed: Unit x not found."
    assert run.calls[0][0] == ["systemctl", "is-active", "--quiet", "a.service"]


def test_a_failed_start_says_what_the_failed_units_logged():
    run = FakeRun({("systemctl", "start"): (1, "", "A dependency job for h.service failed. See 'journalctl -xe' for details."),
                   ("systemctl", "list-units"): (0, "w.service loaded failed failed WAN table\n", ""),
                   ("journalctl",): (0, "Starting WAN...\nError: Could not process rule: Device or resource busy\n", "")})
    with pytest.raises(BoxError) as exc:
        Box(run).must("start", "h.service")
    assert str(exc.value) == ("systemctl start h.service failed: A dependency job for h.service failed. See 'journalctl -xe'"
                              " for details. (failed units: w.service: Starting WAN... / Error: Could not process rule:"
                              " Device or resource busy)")
    assert ["journalctl", "--no-pager", "-o", "cat", "-n", "6", "-u", "w.service"] in [c[0] for c in run.calls]


class Sequence(FakeRun):
    """FakeRun whose `systemctl start` answers in turn from a list."""

    def __init__(self, starts, answers):
        super().__init__(answers)
        self.starts = list(starts)

    def __call__(self, argv, data=None):
        if argv[:2] == ["systemctl", "start"]:
            self.calls.append((list(argv), data))
            return self.starts.pop(0)
        return super().__call__(argv, data)


CGROUP = {("systemctl", "list-units"): (0, "w.service loaded failed failed WAN table\n", ""),
          ("journalctl",): (0, "Starting WAN...\nw.service: Main process exited, code=exited, status=219/CGROUP\n", "")}
DEPENDENCY = (1, "", "A dependency job for h.service failed.")


def test_a_start_that_systemd_could_not_put_in_its_cgroup_is_tried_once_more():
    run = Sequence([DEPENDENCY, (0, "", "")], CGROUP)
    box = Box(run)
    box.pause = lambda seconds: None
    box.must("start", "h.service")
    argvs = [c[0] for c in run.calls]
    assert argvs.count(["systemctl", "start", "h.service"]) == 2
    assert argvs.index(["systemctl", "reset-failed"]) > argvs.index(["systemctl", "start", "h.service"])


def test_only_once_and_only_for_that_cause():
    box = Box(Sequence([DEPENDENCY, DEPENDENCY], CGROUP))
    box.pause = lambda seconds: None
    with pytest.raises(BoxError) as exc:
        box.must("start", "h.service")
    assert "after one more try: systemd could not set up its cgroup" in str(exc.value)
    other = Sequence([DEPENDENCY, (0, "", "")], {**CGROUP, ("journalctl",): (0, "Error: Could not process rule\n", "")})
    with pytest.raises(BoxError):
        Box(other).must("start", "h.service")
    assert [c[0] for c in other.calls].count(["systemctl", "start", "h.service"]) == 1
    stop = Sequence([], {**CGROUP, ("systemctl", "stop"): DEPENDENCY})
    with pytest.raises(BoxError):
        Box(stop).must("stop", "h.service")
    assert [c[0] for c in stop.calls].count(["systemctl", "stop", "h.service"]) == 1


def test_the_nft_table_live_is_empty_when_not_loaded():
    assert Table(FakeRun({("nft", "list"): (1, "", "No such file or directory")})).nft_live() == ""
    run = FakeRun({("nft", "list"): (0, "table ip azblink_t {\n}\n", "")})
    assert Table(run).nft_live() == "table ip azblink_t {\n}\n"
    assert run.calls == [(["nft", "list", "table", "ip", "azblink_t"], None)]


def test_the_canonical_form_comes_from_a_scratch_namespace_and_refusal_is_an_error():
    run = FakeRun({("unshare",): (0, "table ip azblink_t {\n}\n", "")})
    assert Table(run).nft_canonical("table ip azblink_t {}") == "table ip azblink_t {\n}\n"
    argv, data = run.calls[0]
    assert argv[:2] == ["unshare", "--net"] and "list table ip azblink_t" in argv[-1] and data == "table ip azblink_t {}"
    with pytest.raises(BoxError) as exc:
        Table(FakeRun({("unshare",): (1, "", "syntax error\n")})).nft_canonical("x")
    assert str(exc.value) == "the rendered nft table does not load: syntax error"


def test_nft_apply_names_the_table_when_it_fails():
    with pytest.raises(BoxError) as exc:
        Table(FakeRun({("nft", "-f"): (1, "", "Error: busy")})).nft_apply("flush table ip azblink_t")
    assert str(exc.value) == "nft -f (table ip azblink_t) failed: Error: busy"
