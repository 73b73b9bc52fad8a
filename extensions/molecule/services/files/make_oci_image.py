"""Build a tiny OCI image tarball (an OCI layout) for the catalog scenario: the static busybox of the
controller serving /srv over HTTP, /srv/version saying which version runs.

usage: make_oci_image.py OUT.tar VERSION PORT
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile
import time

BUSYBOX = "/bin/busybox"


def _add(tar, name, data=None, mode=0o644, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, 0
    if data is not None:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def layer(version):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for d in ("bin", "srv", "srv/config", "tmp"):
            _add(tar, d, mode=0o755, kind=tarfile.DIRTYPE)
        with open(BUSYBOX, "rb") as fh:
            _add(tar, "bin/busybox", fh.read(), 0o755)
        _add(tar, "srv/version", ("%s\n" % version).encode())
    diff_id = hashlib.sha256(raw.getvalue()).hexdigest()
    return gzip.compress(raw.getvalue(), mtime=0), diff_id


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    _add(out, "blobs/sha256/%s" % digest, data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main(path, version, port):
    with tarfile.open(path, "w") as out:
        _add(out, "blobs", mode=0o755, kind=tarfile.DIRTYPE)
        _add(out, "blobs/sha256", mode=0o755, kind=tarfile.DIRTYPE)
        _add(out, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        gz, diff_id = layer(version)
        lay = blob(out, gz)
        lay["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
        config = {"architecture": "amd64", "os": "linux",
                  "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(0)),
                  "config": {"Entrypoint": ["/bin/busybox"],
                             "Cmd": ["httpd", "-f", "-v", "-p", str(port), "-h", "/srv"],
                             "WorkingDir": "/srv"},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]}}
        cfg = blob(out, json.dumps(config, sort_keys=True).encode())
        cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": cfg, "layers": [lay]}
        man = blob(out, json.dumps(manifest, sort_keys=True).encode())
        man["mediaType"] = manifest["mediaType"]
        _add(out, "index.json", json.dumps({"schemaVersion": 2, "manifests": [man]}).encode())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
