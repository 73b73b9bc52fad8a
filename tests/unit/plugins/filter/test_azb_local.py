"""The controller-side file questions: a copy is fetched again exactly when fetch would transfer it."""
import hashlib
import os

from ansible_collections.azblink.nfv.plugins.filter.azb_local import azb_local_mode, azb_stale_copies


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def test_only_missing_or_differing_copies_are_fetched(tmp_path):
    (tmp_path / "same.conf").write_bytes(b"[Interface]\n")
    (tmp_path / "old.png").write_bytes(b"\x89PNG old")
    remote = {"/etc/x/same.conf": sha1(b"[Interface]\n"), "/etc/x/old.png": sha1(b"\x89PNG new"),
              "/etc/x/new.conf": sha1(b"new")}
    paths = ["/etc/x/same.conf", "/etc/x/old.png", "/etc/x/new.conf", "/etc/x/unknown.conf"]
    assert azb_stale_copies(paths, remote, str(tmp_path)) == ["/etc/x/old.png", "/etc/x/new.conf", "/etc/x/unknown.conf"]
    assert azb_stale_copies(paths[:1], remote, str(tmp_path)) == []
    assert azb_stale_copies([], None, str(tmp_path)) == []


def test_local_mode_of_a_path_or_none(tmp_path):
    d = tmp_path / "exports"
    assert azb_local_mode(str(d)) is None
    d.mkdir()
    os.chmod(str(d), 0o700)
    assert azb_local_mode(str(d)) == "0700"
    os.chmod(str(d), 0o755)
    assert azb_local_mode(str(d)) == "0755"
