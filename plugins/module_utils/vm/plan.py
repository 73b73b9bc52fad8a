# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change? Desired spec + what the box has now -> an ordered list of actions and a diff.

Pure: ``live`` is a plain dict the module fills from the adapter, so every decision is unit-tested
without libvirt:

  live = {"xml": inactive domain XML or None, "active": bool, "autostart": bool,
          "volumes": {(pool, volume): capacity_bytes or None}, "tc": {tap: {inbound_kbit, ...}},
          "base_sizes": {base image path: virtual size in bytes or None},
          "snapshots": [{"name", "created", "state"}]}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, normalise, render, tc as tcmod

DEFAULT_NEW_DISK = 10 * 1024 ** 3


def desired_xml(spec, live_xml, rate_backend):
    """The domain XML we want, keeping the UUID of an existing domain (stable identity)."""
    uuid = spec.get("uuid") or (normalise.domain_uuid(live_xml) if live_xml else None) \
        or model.derive_uuid(spec["name"])
    return render.render_domain(spec, uuid, rate_backend)


def _volume_actions(spec, live):
    actions = []
    for i, d in enumerate(spec["disks"]):
        if d["kind"] not in ("new", "overlay", "volume"):
            continue
        key = (d["pool"], d["volume"])
        cap = live["volumes"].get(key)
        if d["kind"] == "volume":
            if cap is None:
                raise model.SpecError([("disks[%d].volume" % i, "volume %s does not exist in pool %s"
                                        % (d["volume"], d["pool"]))])
            continue
        want = d["size"]
        if d["kind"] == "overlay":
            base = live.get("base_sizes", {}).get(d["base"])
            if base is None:
                raise model.SpecError([("disks[%d].base" % i, "base image %s is not readable" % d["base"])])
            if want is not None and want < base:
                raise model.SpecError([("disks[%d].size" % i, "%d bytes is smaller than the base image (%d)"
                                        % (want, base))])
            want = want or base
        if cap is None:
            if d["kind"] == "new" and want is None:
                want = DEFAULT_NEW_DISK
            actions.append({"action": "create_volume", "disk": i, "pool": d["pool"], "volume": d["volume"],
                            "xml": render.render_volume(d, want or 0)})
        elif want is not None and want < cap:
            raise model.SpecError([("disks[%d].size" % i, "shrinking %s from %d to %d bytes is refused"
                                    % (d["volume"], cap, want))])
        elif want is not None and want > cap:
            actions.append({"action": "resize_volume", "disk": i, "pool": d["pool"], "volume": d["volume"],
                            "capacity": want})
    # The seed is written when missing (its content is not read back: it may hold a password hash).
    if spec.get("cloud_init") and live["volumes"].get((spec["pool"], render.seed_volume(spec))) is None:
        actions.append({"action": "write_seed", "pool": spec["pool"], "volume": render.seed_volume(spec)})
    return actions


def plan_present(spec, live, rate_backend):
    """-> (actions, diff{before, after}, xml). ``spec['state']`` is running, stopped or present."""
    xml = desired_xml(spec, live.get("xml"), rate_backend)
    actions = _volume_actions(spec, live)
    after = normalise.canonical(xml)
    before = normalise.canonical(live["xml"]) if live.get("xml") else ""
    config_changed = before != after
    if config_changed:
        actions.append({"action": "define", "xml": xml})
    exists = bool(live.get("xml"))
    if live.get("autostart", False) != spec["autostart"] or (not exists and spec["autostart"]):
        if exists or spec["autostart"]:
            actions.append({"action": "autostart", "value": spec["autostart"]})
    active = bool(live.get("active"))
    will_run = active
    if spec["state"] == "running" and not active:
        actions.append({"action": "start"})
        will_run = True
    elif spec["state"] == "stopped" and active:
        actions.append({"action": "stop"})
        will_run = False
    elif active and exists and config_changed and spec["restart_on_change"]:
        actions.append({"action": "restart"})
    if will_run and rate_backend == "tc":
        for n in spec["nics"]:
            want = tcmod.comparable(n["rate_limit"])
            have = tcmod.comparable(live.get("tc", {}).get(n["tap"]))
            started_now = any(a["action"] in ("start", "restart") for a in actions)
            if want != have or (started_now and want):
                actions.append({"action": "tc", "tap": n["tap"], "limits": n["rate_limit"]})
    diff = {"before": before, "after": after,
            "before_header": "%s (live, inactive)" % spec["name"], "after_header": "%s (desired)" % spec["name"]}
    return actions, diff, xml


def plan_absent(spec, live):
    if not live.get("xml"):
        return [], {"before": "", "after": ""}
    actions = []
    if live.get("active"):
        actions.append({"action": "destroy"})
    actions.append({"action": "undefine"})
    if spec["purge"]:
        for pool, vol in sorted(set(live.get("volume_refs", []))):
            actions.append({"action": "delete_volume", "pool": pool, "volume": vol})
        if spec.get("cloud_init"):
            actions.append({"action": "delete_volume", "pool": spec["pool"], "volume": render.seed_volume(spec)})
    return actions, {"before": normalise.canonical(live["xml"]), "after": ""}


def plan_snapshot(snap, live):
    """Snapshot actions on an existing domain: create (idempotent by name), revert, delete, keep: N."""
    names = [s["name"] for s in live["snapshots"]]
    actions = []
    if snap["action"] == "create":
        if snap["name"] not in names:
            actions.append({"action": "snapshot_create", "name": snap["name"],
                            "description": snap["description"]})
            names = names + [snap["name"]]
        if snap["keep"]:
            excess = len(names) - snap["keep"]
            for old in [n for n in names if n != snap["name"]][:max(0, excess)]:
                actions.append({"action": "snapshot_delete", "name": old})
    elif snap["action"] == "revert":
        if snap["name"] not in names:
            raise model.SpecError([("snapshot.name", "no snapshot %r (have: %s)"
                                    % (snap["name"], ", ".join(names) or "none"))])
        actions.append({"action": "snapshot_revert", "name": snap["name"]})
    elif snap["action"] == "delete":
        if snap["name"] in names:
            actions.append({"action": "snapshot_delete", "name": snap["name"]})
    return actions
