"""OCI image tarballs unpack into a root with their whiteouts; nothing lands outside the root."""
import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.services import oci


def _layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _image(path, layers, cmd=("/bin/run",)):
    with tarfile.open(path, "w") as out:
        def blob(data):
            digest = hashlib.sha256(data).hexdigest()
            info = tarfile.TarInfo("blobs/sha256/" + digest)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
            return {"digest": "sha256:" + digest, "size": len(data)}
        lays = [blob(_layer(entries)) for entries in layers]
        cfg = blob(json.dumps({"config": {"Cmd": list(cmd), "Env": ["A=1"], "WorkingDir": "/srv"}}).encode())
        man = blob(json.dumps({"config": cfg, "layers": lays}).encode())
        idx = json.dumps({"manifests": [man]}).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(idx)
        out.addfile(info, io.BytesIO(idx))


def test_layers_apply_in_order_with_whiteouts(tmp_path):
    img = str(tmp_path / "img.tar")
    _image(img, [[("srv", None), ("srv/a", b"1"), ("srv/b", b"2")],
                 [("srv/.wh.b", b""), ("srv/a", b"new")]])
    proc = oci.unpack(img, str(tmp_path / "root"))
    assert proc == {"argv": ["/bin/run"], "env": {"A": "1"}, "workdir": "/srv"}
    assert (tmp_path / "root/srv/a").read_bytes() == b"new"
    assert not (tmp_path / "root/srv/b").exists()
    assert oci.read_process(img)["argv"] == ["/bin/run"]


@pytest.mark.parametrize("name", ["../escape", "/etc/escape"])
def test_members_outside_the_root_are_refused(tmp_path, name):
    img = str(tmp_path / "img.tar")
    _image(img, [[(name, b"x")]])
    with pytest.raises(oci.ImageError):
        oci.unpack(img, str(tmp_path / "root"))
    assert not os.path.exists(str(tmp_path / "escape"))


def test_not_an_image_is_refused(tmp_path):
    bad = str(tmp_path / "bad.tar")
    with tarfile.open(bad, "w") as out:
        info = tarfile.TarInfo("hello.txt")
        out.addfile(info, io.BytesIO(b""))
    with pytest.raises(oci.ImageError):
        oci.read_process(bad)
