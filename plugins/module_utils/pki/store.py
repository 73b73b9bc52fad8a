# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA directory on disk (the system adapter of azb_ca).

Layout under ``path``: ``ca.crt``, ``ca.key`` (0600), ``crl.pem``, ``revoked.json``,
``certs/<name>.crt``, ``private/<name>.key`` (0600, directory 0700), ``revoked/<serial>.crt``.
Every file is written to a temporary name and renamed into place, keys never wider than 0600.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.azblink.nfv.plugins.module_utils import atomic
from ansible_collections.azblink.nfv.plugins.module_utils.pki import ca as pki

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - reported by the module
    pass


def paths(path):
    return {
        "ca_cert": os.path.join(path, "ca.crt"),
        "ca_key": os.path.join(path, "ca.key"),
        "crl": os.path.join(path, "crl.pem"),
        "revoked": os.path.join(path, "revoked.json"),
        "certs": os.path.join(path, "certs"),
        "private": os.path.join(path, "private"),
        "revoked_dir": os.path.join(path, "revoked"),
    }


def cert_path(path, name):
    return os.path.join(path, "certs", name + ".crt")


def key_path(path, name):
    return os.path.join(path, "private", name + ".key")


def _read(fname):
    try:
        with open(fname, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def load(path):
    p = paths(path)
    st = pki.State()
    data = _read(p["ca_cert"])
    if data:
        st.ca_cert = x509.load_pem_x509_certificate(data)
    data = _read(p["ca_key"])
    if data:
        st.ca_key = serialization.load_pem_private_key(data, password=None)
    data = _read(p["crl"])
    if data:
        st.crl = x509.load_pem_x509_crl(data)
    data = _read(p["revoked"])
    if data:
        st.revoked = json.loads(data.decode("utf-8"))
    if os.path.isdir(p["certs"]):
        for fname in sorted(os.listdir(p["certs"])):
            if fname.endswith(".crt"):
                name = fname[:-4]
                st.certs[name] = x509.load_pem_x509_certificate(_read(os.path.join(p["certs"], fname)))
    if os.path.isdir(p["private"]):
        for fname in sorted(os.listdir(p["private"])):
            if fname.endswith(".key"):
                st.keys[fname[:-4]] = True
    return st


def write_atomic(fname, data, mode):
    atomic.write_atomic(fname, data, mode, make_dirs=False)


def ensure_dirs(path):
    p = paths(path)
    for d, mode in ((path, 0o755), (p["certs"], 0o755), (p["private"], 0o700), (p["revoked_dir"], 0o755)):
        if not os.path.isdir(d):
            os.makedirs(d, mode)
        os.chmod(d, mode)


def save(path, res, plan):
    """Write what execute() built: keys first, then certificates, then revocations and the CRL."""
    p = paths(path)
    ensure_dirs(path)
    if res.ca_key is not None:
        write_atomic(p["ca_key"], pki.key_pem(res.ca_key), 0o600)
        write_atomic(p["ca_cert"], pki.cert_pem(res.ca_cert), 0o644)
    for name in sorted(res.certs):
        cert, key = res.certs[name]
        write_atomic(key_path(path, name), pki.key_pem(key), 0o600)
        write_atomic(cert_path(path, name), pki.cert_pem(cert), 0o644)
    for name, serial in plan.revoke:
        src = cert_path(path, name)
        if os.path.exists(src):
            os.rename(src, os.path.join(p["revoked_dir"], "%d.crt" % serial))
        if os.path.exists(key_path(path, name)):
            os.unlink(key_path(path, name))
    if res.revoked is not None and (plan.revoke or plan.create_ca):
        write_atomic(p["revoked"], json.dumps(res.revoked, indent=1, sort_keys=True).encode("utf-8"),
                     0o644)
    if res.crl is not None:
        write_atomic(p["crl"], res.crl.public_bytes(serialization.Encoding.PEM), 0o644)
