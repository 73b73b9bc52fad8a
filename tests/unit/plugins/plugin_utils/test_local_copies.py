"""The controller's copies of a box's exports: fetched again exactly when fetch would transfer them,
into a 0700 directory, each file 0600 (they hold keys)."""
import base64
import hashlib
import os
import stat

from ansible_collections.azblink.nfv.plugins.plugin_utils import local_copies


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def test_only_missing_or_differing_copies_are_stale(tmp_path):
    (tmp_path / "same.conf").write_bytes(b"[Interface]\n")
    (tmp_path / "old.png").write_bytes(b"\x89PNG old")
    remote = {"/etc/x/same.conf": sha1(b"[Interface]\n"), "/etc/x/old.png": sha1(b"\x89PNG new"),
              "/etc/x/new.conf": sha1(b"new")}
    paths = ["/etc/x/same.conf", "/etc/x/old.png", "/etc/x/new.conf", "/etc/x/unknown.conf"]
    assert local_copies.stale_copies(paths, remote, str(tmp_path)) == ["/etc/x/old.png", "/etc/x/new.conf", "/etc/x/unknown.conf"]
    assert local_copies.stale_copies(paths[:1], remote, str(tmp_path)) == []
    assert local_copies.stale_copies([], None, str(tmp_path)) == []


def test_local_mode_of_a_path_or_none(tmp_path):
    d = tmp_path / "exports"
    assert local_copies.local_mode(str(d)) is None
    d.mkdir()
    os.chmod(str(d), 0o755)
    assert local_copies.local_mode(str(d)) == "0755"


def test_fetch_writes_the_stale_copies_private_and_nothing_when_in_sync(tmp_path):
    box = {"/etc/x/alice.conf": b"[Interface]\nPrivateKey = k\n", "/etc/x/alice.png": b"\x89PNG"}
    asked = []

    def slurp(path):
        asked.append(path)
        return base64.b64encode(box[path]).decode()

    local = tmp_path / "lab-a1"
    sums = {p: sha1(d) for p, d in box.items()}
    written, dir_changed = local_copies.fetch_stale(slurp, sorted(box), sums, str(local))
    assert dir_changed and sorted(written) == sorted(str(local / os.path.basename(p)) for p in box)
    assert stat.S_IMODE(local.stat().st_mode) == 0o700
    for p, data in box.items():
        f = local / os.path.basename(p)
        assert f.read_bytes() == data and stat.S_IMODE(f.stat().st_mode) == 0o600
    asked.clear()
    assert local_copies.fetch_stale(slurp, sorted(box), sums, str(local)) == ([], False)
    assert asked == [], "a copy in sync was fetched again"
    # The box's copy changed: only that one comes again; a widened directory is narrowed back.
    box["/etc/x/alice.conf"] = b"[Interface]\nPrivateKey = k2\n"
    sums = {p: sha1(d) for p, d in box.items()}
    os.chmod(str(local), 0o755)
    written, dir_changed = local_copies.fetch_stale(slurp, sorted(box), sums, str(local))
    assert asked == ["/etc/x/alice.conf"] and dir_changed
    assert (local / "alice.conf").read_bytes() == box["/etc/x/alice.conf"]
