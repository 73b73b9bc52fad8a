"""Appliance leases: which run owns an appliance, so parallel runs never touch each other's boxes.

A run (a `make test`, a developer's `molecule test`) names itself by the PID of a process that lives
as long as it does (AZB_LAB_LEASE_PID). `up` waits until the appliances it asks for are free, then
leases them; `down` releases them, and leaves alone an appliance leased by another live run. A lease
whose owner process is gone is stale and free; the lease holds the owner's start time with its PID,
so a PID the kernel gave again to another process does not keep it. Without AZB_LAB_LEASE_PID
nothing is leased (the lab behaves as before: one developer, one run).
"""
from __future__ import annotations

import json
import os

from . import system


def owner_from_env() -> int | None:
    value = os.environ.get("AZB_LAB_LEASE_PID", "").strip()
    return int(value) if value.isdigit() else None


def _path(run_dir: str, name: str) -> str:
    return os.path.join(run_dir, "leases", name)


def holder(run_dir: str, name: str) -> int | None:
    """The live owner of `name`'s lease, or None when it is free (no lease, or a stale one)."""
    try:
        with open(_path(run_dir, name)) as fh:
            record = json.load(fh)
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if system.same_process(pid, record.get("started")) else None


def busy(run_dir: str, names, me: int | None) -> dict:
    """Appliances among `names` leased by a live run other than `me`: name -> owner pid."""
    out = {}
    for name in names:
        pid = holder(run_dir, name)
        if pid is not None and pid != me:
            out[name] = pid
    return out


def take(run_dir: str, names, me: int) -> None:
    os.makedirs(os.path.join(run_dir, "leases"), exist_ok=True)
    for name in names:
        tmp = _path(run_dir, name) + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"pid": me, "started": system.pid_start(me)}, fh)
        os.replace(tmp, _path(run_dir, name))


def release(run_dir: str, names, me: int | None) -> None:
    """Drop the leases `me` holds (or stale ones) among `names`; another live run's stay."""
    for name in names:
        pid = holder(run_dir, name)
        if pid is None or pid == me:
            try:
                os.unlink(_path(run_dir, name))
            except FileNotFoundError:
                pass
