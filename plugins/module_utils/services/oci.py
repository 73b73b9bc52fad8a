# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpack an OCI image tarball (an OCI layout, or ``docker save`` output) into a root directory.

systemd runs the result with ``RootDirectory=``: no container runtime is needed on the appliance.
Layers are applied in order with their whiteouts; members that would land outside the root
(absolute names, ``..``, writes through links) and device nodes are refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tarfile


class ImageError(ValueError):
    pass


def _blob(tar, digest):
    algo, _sep, hexd = digest.partition(":")
    member = tar.extractfile("blobs/%s/%s" % (algo, hexd))
    if member is None:
        raise ImageError("blob %s missing from the image" % digest)
    return member


def _layout(tar):
    """-> (config dict, [layer file objects]) for an OCI layout or a docker archive."""
    names = set(tar.getnames())
    if "index.json" in names:
        index = json.load(tar.extractfile("index.json"))
        manifests = index.get("manifests") or []
        if not manifests:
            raise ImageError("index.json lists no manifest")
        manifest = json.load(_blob(tar, manifests[0]["digest"]))
        config = json.load(_blob(tar, manifest["config"]["digest"]))
        return config, [_blob(tar, layer["digest"]) for layer in manifest.get("layers", [])]
    if "manifest.json" in names:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
        return config, [tar.extractfile(layer) for layer in manifest.get("Layers", [])]
    raise ImageError("neither an OCI layout (index.json) nor a docker archive (manifest.json)")


def _inside(root, path):
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def _apply_layer(fileobj, root):
    with tarfile.open(fileobj=fileobj, mode="r:*") as layer:
        for member in layer.getmembers():
            name = os.path.normpath(_relative(member.name))
            if member.name.startswith("/") or name.split(os.sep)[0] == "..":
                raise ImageError("layer member %r is outside the image root" % member.name)
            if name == ".":
                continue
            parent, base = os.path.split(os.path.join(root, name))
            if not _inside(root, parent):
                raise ImageError("layer member %r would be written through a link outside the root" % member.name)
            if base == ".wh..wh..opq":
                for entry in os.listdir(parent) if os.path.isdir(parent) else []:
                    _remove(os.path.join(parent, entry))
                continue
            if base.startswith(".wh."):
                _remove(os.path.join(parent, base[len(".wh."):]))
                continue
            if member.isdev():
                continue
            target = os.path.join(parent, base)
            if os.path.lexists(target) and not (member.isdir() and os.path.isdir(target)):
                _remove(target)
            if member.islnk():
                link = os.path.normpath(_relative(member.linkname))
                if member.linkname.startswith("/") or link.split(os.sep)[0] == "..":
                    raise ImageError("hard link %r points outside the image" % member.name)
                member = _copy_with(member, name=name, linkname=link)
            else:
                member = _copy_with(member, name=name)
            layer.extract(member, root, set_attrs=True, numeric_owner=True)


def _relative(name):
    while name.startswith("./"):
        name = name[2:]
    return name or "."


def _copy_with(member, **attrs):
    clone = tarfile.TarInfo(member.name)
    for key in ("size", "mode", "uid", "gid", "mtime", "type", "linkname", "uname", "gname",
                "offset", "offset_data", "pax_headers", "sparse"):
        setattr(clone, key, getattr(member, key))
    for key, value in attrs.items():
        setattr(clone, key, value)
    return clone


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def unpack(archive, root):
    """Unpack ``archive`` into ``root`` (created, must not exist); -> the image's process config."""
    root = os.path.realpath(root)
    os.makedirs(root, 0o755)
    with tarfile.open(archive, "r:*") as tar:
        config, layers = _layout(tar)
        for layer in layers:
            _apply_layer(layer, root)
    return process(config)


def read_process(archive):
    """The image's process config, without unpacking its layers."""
    with tarfile.open(archive, "r:*") as tar:
        config, _layers = _layout(tar)
    return process(config)


def process(config):
    """Entrypoint + Cmd, Env, WorkingDir of an image config."""
    c = (config or {}).get("config") or {}
    argv = list(c.get("Entrypoint") or []) + list(c.get("Cmd") or [])
    env = dict(e.split("=", 1) for e in c.get("Env") or [] if "=" in e)
    return {"argv": argv, "env": env, "workdir": c.get("WorkingDir") or "/"}
