"""azb_files' planner and applier on a scratch directory: one pass decides, a second finds nothing."""
import os
import pwd
import stat

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import files

ME = pwd.getpwuid(os.getuid()).pw_name


def entry(path, state="file", content=None, mode="0644", owner=ME, group=None):
    import grp
    return {"path": str(path), "state": state, "content": content, "mode": mode, "owner": owner,
            "group": group or grp.getgrgid(os.getgid()).gr_name}


def converge(entries):
    changes = files.plan(entries)
    files.apply(changes)
    return dict((e["path"], a) for e, a in changes)


def test_from_nothing_then_a_no_op(tmp_path):
    d = tmp_path / "lib"
    wanted = [entry(d, "directory", mode="0711"), entry(d / "tool", content="#!/bin/sh\necho hi\n", mode="0755"),
              entry(tmp_path / "deep" / "unit.conf", content="[Unit]\n")]
    assert converge(wanted) == {str(d): ["create"], str(d / "tool"): ["create"],
                                str(tmp_path / "deep" / "unit.conf"): ["create"]}
    assert (d / "tool").read_text() == "#!/bin/sh\necho hi\n"
    assert stat.S_IMODE(os.stat(d / "tool").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o711
    assert files.plan(wanted) == []


def test_content_and_mode_drift_are_each_named(tmp_path):
    f = tmp_path / "conf"
    wanted = [entry(f, content="a = 1\n", mode="0600")]
    converge(wanted)
    f.write_text("a = 2\n")
    os.chmod(f, 0o644)
    assert converge(wanted) == {str(f): ["content", "mode"]}
    assert f.read_text() == "a = 1\n" and stat.S_IMODE(os.stat(f).st_mode) == 0o600
    os.chmod(f, 0o640)
    assert converge(wanted) == {str(f): ["mode"]}


def can_chown(tmp_path):
    """Probe: may this process give a file away (root, or CAP_CHOWN)? The reason when it may not."""
    probe = tmp_path / "chown-probe"
    probe.write_text("")
    nobody = pwd.getpwnam("nobody")
    try:
        os.chown(probe, nobody.pw_uid, nobody.pw_gid)
    except PermissionError as exc:
        return "this process cannot change a file's owner (%s)" % exc
    finally:
        probe.unlink()
    return None


def test_owner_drift(tmp_path):
    reason = can_chown(tmp_path)
    if reason:
        print("SKIP reason: " + reason)
        pytest.skip(reason)
    f = tmp_path / "conf"
    wanted = [entry(f, content="x\n", owner="root", group="root")]
    converge(wanted)
    nobody = pwd.getpwnam("nobody")
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    assert converge(wanted) == {str(f): ["owner"]}
    assert os.stat(f).st_uid == 0


def test_absent_removes_files_and_trees_and_is_quiet_when_gone(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "x").write_text("x")
    (tmp_path / "key").write_text("k")
    wanted = [entry(tmp_path / "tree", "absent"), entry(tmp_path / "key", "absent")]
    assert converge(wanted) == {str(tmp_path / "tree"): ["remove"], str(tmp_path / "key"): ["remove"]}
    assert not (tmp_path / "tree").exists() and not (tmp_path / "key").exists()
    assert files.plan(wanted) == []


@pytest.mark.parametrize("bad, field", [
    ({"path": "relative/x"}, "files[1].path"),
    ({"content": None}, "files[1].content"),
    ({"mode": "rw-r--r--"}, "files[1].mode"),
    ({"mode": "99999"}, "files[1].mode"),
    ({"owner": "no-such-user-azb"}, "files[1].owner"),
    ({"group": "no-such-group-azb"}, "files[1].group"),
])
def test_bad_input_is_refused_with_its_field_before_anything_changes(tmp_path, bad, field):
    first = entry(tmp_path / "first", content="1\n")
    second = dict(entry(tmp_path / "second", content="2\n"), **bad)
    with pytest.raises(ValueError) as exc:
        files.plan([first, second])
    assert str(exc.value).startswith(field)
    assert not (tmp_path / "first").exists()


def test_a_file_where_a_directory_is_wanted_is_refused(tmp_path):
    (tmp_path / "d").write_text("not a dir")
    with pytest.raises(ValueError, match=r"files\[0\]\.path: .* is not a directory"):
        files.plan([entry(tmp_path / "d", "directory", mode="0755")])


def test_the_diff_names_paths_and_changes_never_content(tmp_path):
    f = tmp_path / "private.key"
    changes = files.plan([entry(f, content="SECRET KEY\n", mode="0600")])
    d = files.diff(changes, check_mode=True)
    assert "SECRET" not in d["before"] + d["after"]
    assert d["after"] == "%s: create\n" % f


def line_entry(path, line, regexp=None):
    return dict(entry(path, "line"), line=line, regexp=regexp)


def test_a_line_replaces_the_last_match_keeps_the_rest_then_is_a_no_op(tmp_path):
    f = tmp_path / "libvirtd"
    f.write_text("# Defaults\nLIBVIRTD_ARGS=\"--timeout 60\"\nstart=yes\nLIBVIRTD_ARGS=\"--timeout 120\"\n")
    want = [line_entry(f, 'LIBVIRTD_ARGS=""', r"^#?\s*LIBVIRTD_ARGS=")]
    assert converge(want) == {str(f): ["content"]}
    assert f.read_text() == "# Defaults\nLIBVIRTD_ARGS=\"--timeout 60\"\nstart=yes\nLIBVIRTD_ARGS=\"\"\n"
    assert files.plan(want) == []


def test_a_line_is_appended_without_a_match_and_the_file_created_when_missing(tmp_path):
    f = tmp_path / "new"
    assert converge([line_entry(f, "A=1", "^A=")]) == {str(f): ["create"]}
    assert f.read_text() == "A=1\n"
    f.write_text("B=2")
    assert converge([line_entry(f, "A=1")]) == {str(f): ["content"]}
    assert f.read_text() == "B=2\nA=1\n"
    assert files.plan([line_entry(f, "A=1")]) == []


@pytest.mark.parametrize("bad, field", [({"line": None}, "files[0].line"), ({"line": "a\nb"}, "files[0].line"),
                                        ({"regexp": "(["}, "files[0].regexp")])
def test_a_bad_line_entry_is_refused_with_its_field(tmp_path, bad, field):
    with pytest.raises(ValueError) as exc:
        files.plan([dict(line_entry(tmp_path / "x", "A=1"), **bad)])
    assert str(exc.value).startswith(field)
    assert not (tmp_path / "x").exists()


def test_secret_content_is_written_as_content_and_never_in_the_diff(tmp_path):
    key = tmp_path / "private" / "box.key"
    wanted = files.with_secret_content([dict(entry(key, mode="0600"), content=None,
                                             secret_content="-----BEGIN PRIVATE KEY-----\nAAAA\n")])
    changes = files.plan(wanted)
    files.apply(changes)
    assert key.read_text() == "-----BEGIN PRIVATE KEY-----\nAAAA\n"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert "AAAA" not in str(files.diff(changes, False))
    assert "secret_content" not in wanted[0]
    assert files.plan(wanted) == []


def test_secret_content_beside_content_is_refused_with_its_index(tmp_path):
    bad = dict(entry(tmp_path / "k", content="a\n"), secret_content="b\n")
    with pytest.raises(ValueError, match=r"files\[1\]: content and secret_content are mutually exclusive"):
        files.with_secret_content([entry(tmp_path / "ok", content="x\n"), bad])
    assert not (tmp_path / "k").exists()
