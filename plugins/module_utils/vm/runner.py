# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""azb_vm's flow: validate -> (rendered: stop here) -> read live state -> plan -> apply -> report.

Kept out of the module file so the module stays argspec + docs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azblink.nfv.plugins.module_utils import capabilities
from ansible_collections.azblink.nfv.plugins.module_utils.vm import model, plan, render

_IOT = dict(type="dict")
# ``vms`` (the list form) stands for ``name`` and the per-VM options: each element holds one VM's
# options and is checked by the model (field paths ``vms[i].x``), not by a sub-spec.
ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    state=dict(type="str", default="running", choices=list(model.STATES)),
    uri=dict(type="str", default=model.DEFAULT_URI),
    uuid=dict(type="str"),
    os_type=dict(type="str", default="linux", choices=list(model.OS_TYPES)),
    firmware=dict(type="str", choices=list(model.FIRMWARES)),
    machine=dict(type="str", default="q35"),
    vcpus=dict(type="int", default=1),
    memory=dict(type="int", default=512),
    pool=dict(type="str", default=model.DEFAULT_POOL),
    boot=dict(type="dict", options=dict(kernel=dict(type="path"), initrd=dict(type="path"),
                                        cmdline=dict(type="str"))),
    disks=dict(type="list", elements="dict", options=dict(
        size=dict(type="raw"), base=dict(type="path"), volume=dict(type="str"), path=dict(type="path"),
        name=dict(type="str"), pool=dict(type="str"),
        format=dict(type="str", default="qcow2", choices=["qcow2", "raw"]),
        bus=dict(type="str", choices=list(model.BUSES)),
        device=dict(type="str", default="disk", choices=["disk", "cdrom"]),
        readonly=dict(type="bool"), iotune=_IOT)),
    nics=dict(type="list", elements="dict", options=dict(
        bridge=dict(type="str", required=True), mac=dict(type="str"),
        model=dict(type="str", default="virtio", choices=list(model.NIC_MODELS)),
        rate_limit=dict(type="dict"))),
    rate_limit_backend=dict(type="str", default="auto", choices=list(model.RATE_BACKENDS)),
    virt_type=dict(type="str", default="auto", choices=list(model.VIRT_TYPES)),
    cpu_mode=dict(type="str", default="auto", choices=list(model.CPU_MODES)),
    vcpu_pins=dict(type="list", elements="str"),
    emulator_pin=dict(type="str"),
    autostart=dict(type="bool", default=False),
    watchdog=dict(type="dict", options=dict(
        model=dict(type="str", default="i6300esb", choices=list(model.WATCHDOG_MODELS)),
        action=dict(type="str", default="reset", choices=list(model.WATCHDOG_ACTIONS)))),
    serial_console=dict(type="bool", default=True),
    cloud_init=dict(type="dict", options=dict(
        user=dict(type="str", default="azb"), ssh_authorized_keys=dict(type="list", elements="str", no_log=False),
        password_hash=dict(type="str", no_log=True), address=dict(type="str"), gateway=dict(type="str"),
        dns=dict(type="list", elements="str"), hostname=dict(type="str"))),
    windows=dict(type="dict", options=dict(
        virtio_iso=dict(type="path", default="/usr/share/virtio-win/virtio-win.iso"),
        hyperv=dict(type="bool", default=True), tpm=dict(type="bool", default=False))),
    vms=dict(type="list", elements="dict"),
    snapshot=dict(type="dict", options=dict(
        name=dict(type="str"), action=dict(type="str", default="create", choices=list(model.SNAPSHOT_ACTIONS)),
        keep=dict(type="int", no_log=False), description=dict(type="str"))),
    purge=dict(type="bool", default=False),
    restart_on_change=dict(type="bool", default=False),
    shutdown_timeout=dict(type="int", default=60),
)


def _describe(a):
    kind = a["action"]
    if kind in ("create_volume", "resize_volume", "delete_volume", "write_seed"):
        return "%s %s" % (kind, a["volume"])
    if kind == "autostart":
        return "autostart %s" % ("on" if a["value"] else "off")
    if kind == "tc":
        return "tc %s" % a["tap"]
    if kind.startswith("snapshot_"):
        return "%s %s" % (kind, a["name"])
    return kind


def choose_rate_backend(spec, run_command):
    if spec["rate_limit_backend"] != "auto":
        return spec["rate_limit_backend"], None
    if spec["state"] == "rendered" or not any(n["rate_limit"] for n in spec["nics"]):
        return "tc", None
    rc, _o, err = run_command(capabilities.probe_command("qdisc_sfq"))
    if rc == 0:
        return "libvirt", None
    return "tc", "sfq missing (%s): shaping taps with tc HTB" % (err or "").strip()


def read_live(lv, spec, dom):
    live = {"xml": None, "active": False, "autostart": False, "volumes": {}, "tc": {}, "snapshots": []}
    if dom is not None:
        live["xml"] = lv.inactive_xml(dom)
        live["active"] = lv.is_active(dom)
        live["autostart"] = lv.autostart(dom)
        live["volume_refs"] = lv.volume_refs(live["xml"])
        live["snapshots"] = lv.snapshots(dom)
        if live["active"]:
            for n in spec["nics"]:
                if lv.link_exists(n["tap"]):
                    live["tc"][n["tap"]] = lv.tc_live(n["tap"])
    if spec["state"] == "absent":
        return live  # nothing to create: the volumes to purge come from the domain itself
    live["base_sizes"] = {}
    for d in spec["disks"]:
        if d["kind"] == "overlay":
            live["base_sizes"][d["base"]] = lv.image_size(d["base"])
        if d["kind"] in ("new", "overlay", "volume"):
            vol = lv.volume(d["pool"], d["volume"])
            live["volumes"][(d["pool"], d["volume"])] = lv.capacity(vol) if vol is not None else None
    if spec.get("cloud_init"):
        key = (spec["pool"], render.seed_volume(spec))
        live["volumes"][key] = 0 if lv.volume(*key) is not None else None
    return live


def _apply(lv, spec, actions, dom):
    created = []
    try:
        for a in actions:
            kind = a["action"]
            if kind == "create_volume":
                lv.create_volume(a["pool"], a["xml"])
                created.append((a["pool"], a["volume"]))
            elif kind == "resize_volume":
                if dom is not None and lv.is_active(dom):
                    dom.blockResize(spec["disks"][a["disk"]]["target"], a["capacity"], 1)  # bytes
                else:
                    lv.resize_volume(lv.volume(a["pool"], a["volume"]), a["capacity"])
            elif kind == "write_seed":
                mac = spec["nics"][0]["mac"] if spec["nics"] else None
                lv.write_seed(a["pool"], a["volume"], render.render_cloud_init(spec, mac))
                created.append((a["pool"], a["volume"]))
            elif kind == "define":
                dom = lv.define(a["xml"])
                created = []  # the domain now references them
            elif kind == "autostart":
                lv.set_autostart(dom, a["value"])
            elif kind == "start":
                lv.start(dom)
            elif kind == "stop":
                lv.stop(dom, spec["shutdown_timeout"])
            elif kind == "restart":
                lv.stop(dom, spec["shutdown_timeout"])
                lv.start(dom)
            elif kind == "tc":
                lv.tc_apply(a["tap"], a["limits"])
            elif kind == "destroy":
                dom.destroy()
            elif kind == "undefine":
                lv.undefine(dom)
            elif kind == "delete_volume":
                lv.delete_volume(a["pool"], a["volume"])
            elif kind == "snapshot_create":
                lv.snapshot_create(dom, a["name"], a["description"])
            elif kind == "snapshot_revert":
                lv.snapshot_revert(dom, a["name"])
            elif kind == "snapshot_delete":
                lv.snapshot_delete(dom, a["name"])
    except Exception:
        # volumes made for a definition libvirt refused would be orphans: take them back
        for pool, vol in created:
            try:
                lv.delete_volume(pool, vol)
            except Exception:  # pylint: disable=broad-except
                pass
        raise
    return dom


def _connect(adapter_factory, uri, run_command):
    if adapter_factory is None:
        from ansible_collections.azblink.nfv.plugins.module_utils.vm.adapter import Libvirt
        adapter_factory = Libvirt
    return adapter_factory(uri, run_command)


def _rendered(spec, run_command):
    spec = model.accelerate(spec, None)
    backend = choose_rate_backend(spec, run_command)[0]
    xml = plan.desired_xml(spec, None, backend)
    return {"changed": False, "actions": [], "xml": xml, "uuid": spec.get("uuid") or model.derive_uuid(spec["name"]),
            "macs": [n["mac"] for n in spec["nics"]], "taps": [n["tap"] for n in spec["nics"]],
            "rate_limit_backend": backend, "pending_restart": False, "virt_type": spec["domain_type"]}


# Said where a VM is defined emulated because the box has no KVM: it runs, many times slower.
TCG_WARNING = ("%s: this box offers no KVM (/dev/kvm missing, or virtualisation off in the firmware): the VM "
               "runs emulated (TCG), many times slower; set virt_type: qemu to say that is meant")


def _converge(lv, spec, host, run_command, check_mode, want_diff, backends):
    """One validated VM on an open connection -> its result. ``backends`` caches the sfq probe."""
    result = {"changed": False, "actions": []}
    dom = lv.lookup(spec["name"])
    if spec["snapshot"]:
        if dom is None:
            raise model.SpecError([("name", "no domain %r to snapshot" % spec["name"])])
        snaps = lv.snapshots(dom)
        actions = plan.plan_snapshot(spec["snapshot"], {"snapshots": snaps})
        if actions and not check_mode:
            _apply(lv, spec, actions, dom)
        result.update(changed=bool(actions), actions=[_describe(a) for a in actions],
                      snapshots=lv.snapshots(dom))
        return result
    if spec["state"] != "absent":
        model.check_host(spec, host)
        spec = model.accelerate(spec, host.get("domain_types"))
    live = read_live(lv, spec, dom)
    if spec["state"] == "absent":
        actions, diff = plan.plan_absent(spec, live)
    else:
        key = (spec["rate_limit_backend"], any(n["rate_limit"] for n in spec["nics"]))
        if key not in backends:
            backends[key] = choose_rate_backend(spec, run_command)
        backend, note = backends[key]
        actions, diff, xml = plan.plan_present(spec, live, backend)
        result.update(xml=xml, macs=[n["mac"] for n in spec["nics"]], taps=[n["tap"] for n in spec["nics"]],
                      rate_limit_backend=backend, uuid=plan.normalise.domain_uuid(xml), virt_type=spec["domain_type"],
                      pending_restart=bool(live["active"] and any(a["action"] == "define" for a in actions)
                                           and not any(a["action"] in ("restart", "stop") for a in actions)))
        if note:
            result["rate_limit_note"] = note
        if spec["virt_type"] == "auto" and spec["domain_type"] == "qemu" and \
                any(a["action"] == "define" for a in actions):
            result["warnings"] = [TCG_WARNING % spec["name"]]
    if actions and not check_mode:
        dom = _apply(lv, spec, actions, dom)
    result["changed"] = bool(actions)
    result["actions"] = [_describe(a) for a in actions]
    if want_diff:
        result["diff"] = diff
    if dom is not None and spec["state"] != "absent":
        result["snapshots"] = lv.snapshots(dom)
    return result


def run(params, run_command, check_mode=False, want_diff=False, adapter_factory=None, before_changes=None):
    """The single form. ``before_changes()`` runs once the input is checked, before libvirt is asked
    (the module's prerequisites: a hook they change restarts libvirtd)."""
    spec = model.validate(params)
    if spec["state"] == "rendered":
        return _rendered(spec, run_command)
    if before_changes:
        before_changes()
    lv = _connect(adapter_factory, spec["uri"], run_command)
    host = lv.host_facts() if spec["state"] != "absent" and not spec["snapshot"] else None
    return _converge(lv, spec, host, run_command, check_mode, want_diff, {})


# Options of one VM in the list form: the single form's, bar the list itself.
VM_OPTIONS = frozenset(k for k in ARGUMENT_SPEC if k != "vms")


def validate_many(vms):
    """The list form's VMs -> specs, every problem of every VM at once as ``vms[i].path: reason``."""
    errors, specs, seen = [], [], {}
    for i, params in enumerate(vms):
        if not isinstance(params, dict):
            errors.append(("vms[%d]" % i, "must be a dictionary of azb_vm options"))
            continue
        for k in sorted(set(params) - VM_OPTIONS):
            errors.append(("vms[%d].%s" % (i, k), "unknown option"))
        if params.get("snapshot"):
            errors.append(("vms[%d].snapshot" % i, "snapshots are taken one VM per call (name, snapshot)"))
        name = params.get("name")
        if isinstance(name, str) and name in seen:
            errors.append(("vms[%d].name" % i, "duplicate VM %r (also vms[%d])" % (name, seen[name])))
        elif isinstance(name, str):
            seen[name] = i
        try:
            specs.append(model.validate(params))
        except model.SpecError as e:
            errors.extend(("vms[%d].%s" % (i, path), reason) for path, reason in e.errors)
    if errors:
        raise model.SpecError(errors)
    return specs


def run_many(vms, run_command, check_mode=False, want_diff=False, adapter_factory=None, before_changes=None):
    """The list form: every VM checked first (input and host limits), then converged in order on one
    connection per URI. A VM is started and the next one defined while it boots (libvirt's start
    returns once QEMU runs, not when the guest is up).

    -> {changed, actions ("name: action"), vms: [the single form's result + name], diff: [per VM]}."""
    specs = validate_many(vms)
    if before_changes:
        before_changes()
    conns, hosts = {}, {}
    errors = []
    for i, spec in enumerate(specs):
        if spec["state"] in ("rendered", "absent"):
            continue
        if spec["uri"] not in conns:
            conns[spec["uri"]] = _connect(adapter_factory, spec["uri"], run_command)
            hosts[spec["uri"]] = conns[spec["uri"]].host_facts()
        try:
            model.check_host(spec, hosts[spec["uri"]])
            model.accelerate(spec, hosts[spec["uri"]].get("domain_types"))
        except model.SpecError as e:
            errors.extend(("vms[%d].%s" % (i, path), reason) for path, reason in e.errors)
    if errors:
        raise model.SpecError(errors)
    out = {"changed": False, "actions": [], "vms": [], "warnings": []}
    diffs, backends = [], {}
    for spec in specs:
        if spec["state"] == "rendered":
            res = _rendered(spec, run_command)
        else:
            if spec["uri"] not in conns:
                conns[spec["uri"]] = _connect(adapter_factory, spec["uri"], run_command)
            res = _converge(conns[spec["uri"]], spec, hosts.get(spec["uri"]), run_command, check_mode, want_diff,
                            backends)
        res["name"] = spec["name"]
        out["warnings"].extend(res.pop("warnings", []))
        out["vms"].append(res)
        out["changed"] = out["changed"] or res["changed"]
        out["actions"].extend("%s: %s" % (spec["name"], a) for a in res["actions"])
        diff = res.pop("diff", None)
        if diff is not None and res["changed"]:
            diffs.append(diff)
    if not out["warnings"]:
        del out["warnings"]
    if want_diff:
        out["diff"] = diffs  # Ansible shows a list of diffs one after the other
    return out
