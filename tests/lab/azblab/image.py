"""The appliance images: built once, cached, shared read-only by every appliance through overlayfs.

Two layers:
  base  a plain Debian 12 box as an integrator receives it: systemd, sshd, python3.
  nfv   base plus the hypervisor role's packages, pre-installed so scenarios that test other roles
        do not each spend minutes in dpkg. The `default` scenario boots `base`, so the role's own
        install path (through the lab's package cache) is what gets tested there.
Each layer's directory name carries a hash of its recipe, so a changed recipe builds a new layer.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil

from . import system
from .topology import APT_CACHE_PORT, MGMT_HOST_ADDR

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "python3-apt", "iproute2",
    "iputils-ping", "ca-certificates", "sudo", "procps", "netbase", "curl", "less", "kmod",
]
RECIPE_VERSION = 3  # bump when the steps below change

SOURCES = f"""Types: deb
URIs: {MIRROR}
Suites: {SUITE} {SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: {SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# The appliance reaches packages only through the cache on the management link.
APT_PROXY = f'Acquire::http::Proxy "http://{MGMT_HOST_ADDR}:{APT_CACHE_PORT}";\n'

POLICY_RC_D = "#!/bin/sh\nexit 101\n"


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def layer_dir(name: str, recipe) -> str:
    return os.path.join(system.CACHE_DIR, "images", f"{name}-{_hash(recipe)}")


def base_recipe():
    return {"v": RECIPE_VERSION, "suite": SUITE, "packages": BASE_PACKAGES}


def nfv_recipe(packages):
    return {"base": base_recipe(), "packages": sorted(packages)}


def _write(path: str, text: str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)


def ensure_base(proxy: str | None) -> str:
    """Return the base rootfs, building it with debootstrap if it is not cached."""
    top = layer_dir("base", base_recipe())
    rootfs = os.path.join(top, "rootfs")
    if os.path.exists(os.path.join(top, ".complete")):
        return rootfs
    system.log(f"building the base image with debootstrap into {top} (once; cached)")
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    env = dict(os.environ)
    if proxy:
        env["http_proxy"] = proxy
    system.run(["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
                SUITE, rootfs, MIRROR], env=env)
    _configure_base(rootfs)
    _write(os.path.join(top, ".complete"), "")
    return rootfs


def _configure_base(rootfs: str) -> None:
    os.unlink(os.path.join(rootfs, "etc/apt/sources.list")) if os.path.exists(
        os.path.join(rootfs, "etc/apt/sources.list")) else None
    _write(os.path.join(rootfs, "etc/apt/sources.list.d/debian.sources"), SOURCES)
    _write(os.path.join(rootfs, "etc/apt/apt.conf.d/01azb-lab-proxy"), APT_PROXY)
    # The lab stops apt's background timers: they would compete with converges for the cache.
    for unit in ("apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer"):
        os.symlink("/dev/null", os.path.join(rootfs, "etc/systemd/system", unit))
    system.run(["chroot", rootfs, "systemctl", "enable", "systemd-networkd", "ssh"], capture=True)
    system.run(["chroot", rootfs, "systemctl", "mask", "console-getty.service",
                "getty@tty1.service"], capture=True)
    # Each appliance gets its own host keys and machine id at creation.
    for entry in os.listdir(os.path.join(rootfs, "etc/ssh")):
        if entry.startswith("ssh_host_"):
            os.unlink(os.path.join(rootfs, "etc/ssh", entry))
    _write(os.path.join(rootfs, "etc/machine-id"), "")
    shutil.rmtree(os.path.join(rootfs, "var/cache/apt/archives"), ignore_errors=True)
    os.makedirs(os.path.join(rootfs, "var/cache/apt/archives/partial"), exist_ok=True)


def ensure_nfv(base_rootfs: str, packages, proxy: str) -> str:
    """Return the nfv layer's upper directory (base + packages), building it if not cached."""
    top = layer_dir("nfv", nfv_recipe(packages))
    upper = os.path.join(top, "upper")
    if os.path.exists(os.path.join(top, ".complete")):
        return upper
    system.log(f"building the nfv layer ({len(packages)} packages) into {top} (once; cached)")
    shutil.rmtree(top, ignore_errors=True)
    work, merged = os.path.join(top, "work"), os.path.join(top, "merged")
    for d in (upper, work, merged):
        os.makedirs(d)
    system.run(["mount", "-t", "overlay", "overlay", "-o",
                f"lowerdir={base_rootfs},upperdir={upper},workdir={work}", merged])
    try:
        for sub in ("proc", "sys", "dev"):
            system.run(["mount", "--bind", f"/{sub}", os.path.join(merged, sub)])
        _write(os.path.join(merged, "usr/sbin/policy-rc.d"), POLICY_RC_D, 0o755)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", http_proxy=proxy)
        system.run(["chroot", merged, "apt-get", "-q", "update"], env=env, capture=True)
        system.run(["chroot", merged, "apt-get", "-q", "-y", "--no-install-recommends", "install"]
                   + sorted(packages), env=env)
        system.run(["chroot", merged, "apt-get", "clean"])
        os.unlink(os.path.join(merged, "usr/sbin/policy-rc.d"))
    finally:
        for sub in ("dev", "sys", "proc"):
            system.run(["umount", "-l", os.path.join(merged, sub)], check=False)
        system.run(["umount", merged], check=False)
    shutil.rmtree(work, ignore_errors=True)
    _write(os.path.join(top, ".complete"), "")
    return upper
