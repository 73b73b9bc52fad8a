# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VM model: one VM's intent, validated and normalised, with errors that name the field path.

``validate(params)`` takes the module's (or the inventory's) dict and returns a normalised spec dict
or raises ``SpecError`` listing every problem as ``path: reason``. ``check_host(spec, host)`` adds the
checks that need the box's facts (memory, CPUs) but still run before anything changes.
Pure: no system access, importable without libvirt.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
import uuid as uuidlib

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
BRIDGE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
CPUSET_RE = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.I)
UUID_NS = uuidlib.UUID("6d1f5a8e-2b7c-4f51-9c2a-a2b11c0e4f00")

STATES = ("running", "stopped", "present", "absent", "rendered")
BUSES = ("virtio", "sata", "scsi")
FIRMWARES = ("bios", "uefi")
OS_TYPES = ("linux", "windows")
WATCHDOG_MODELS = ("i6300esb", "ib700", "itco")
WATCHDOG_ACTIONS = ("reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi")
NIC_MODELS = ("virtio", "e1000e", "e1000", "rtl8139")
IOTUNE_KEYS = ("total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
               "total_iops_sec", "read_iops_sec", "write_iops_sec")
RATE_BACKENDS = ("auto", "tc", "libvirt")
# libvirt's domain types: kvm (hardware virtualisation) or qemu (TCG, emulated); auto asks the box.
VIRT_TYPES = ("auto", "kvm", "qemu")
# The guest's CPU: the host's own (host-passthrough, what VNFs built for SSE4/AVX need), a model
# libvirt derives from it (host-model: migratable), or the hypervisor's default model (default).
# auto: host-passthrough under kvm, the default under qemu (TCG cannot pass the host's CPU through).
CPU_MODES = ("auto", "host-passthrough", "host-model", "default")
SNAPSHOT_ACTIONS = ("create", "revert", "delete", "list")
DEFAULT_URI = "qemu:///system"
DEFAULT_POOL = "azb"


class SpecError(ValueError):
    """Bad input. ``errors`` is a list of (path, reason); str() is ``path: reason; path: reason``."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(SpecError, self).__init__("; ".join("%s: %s" % e for e in self.errors))


def derive_mac(name, index):
    """A stable locally administered QEMU MAC (52:54:00:xx:xx:xx) from the VM name and NIC index."""
    digest = hashlib.sha256(("azb-vm/%s/nic%d" % (name, index)).encode("utf-8")).hexdigest()
    return "52:54:00:%s:%s:%s" % (digest[0:2], digest[2:4], digest[4:6])


def derive_uuid(name):
    """The UUID a new domain gets: stable for a name, so `rendered` and a first define agree."""
    return str(uuidlib.uuid5(UUID_NS, name))


def tap_name(name, index):
    """Host tap device of a NIC, fixed so tc can find it: ``az`` + 8 hex of the name + ``n<index>``."""
    return "az%sn%d" % (hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], index)


def parse_size(value):
    """'16M', '20G', '1.5T', '512MiB' -> bytes (binary units); an int means GiB."""
    if isinstance(value, bool):
        raise ValueError("not a size")
    if isinstance(value, int):
        return value * 1024 ** 3
    m = SIZE_RE.match(str(value))
    if not m:
        raise ValueError("not a size (use e.g. 16M, 20G)")
    mult = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}[m.group(2).upper()]
    n = int(float(m.group(1)) * mult)
    if n <= 0:
        raise ValueError("size must be positive")
    return n


def parse_cpuset(text):
    """'0-2,5' -> [0, 1, 2, 5]."""
    out = set()
    for part in str(text).split(","):
        if "-" in part:
            lo, hi = part.split("-")
            lo, hi = int(lo), int(hi)
            if hi < lo:
                raise ValueError("range %s is reversed" % part)
            out.update(range(lo, hi + 1))
        else:
            out.add(int(part))
    return sorted(out)


class _Checker(object):
    def __init__(self):
        self.errors = []

    def err(self, path, reason):
        self.errors.append((path, reason))

    def int_(self, d, key, path, default=None, lo=None, hi=None, required=False):
        v = d.get(key)
        if v is None:
            if required:
                self.err(path, "is required")
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            try:
                v = int(str(v), 10)
            except ValueError:
                self.err(path, "must be an integer, got %r" % (v,))
                return default
        if lo is not None and v < lo:
            self.err(path, "must be >= %d, got %d" % (lo, v))
        if hi is not None and v > hi:
            self.err(path, "must be <= %d, got %d" % (hi, v))
        return v

    def bool_(self, d, key, path, default=False):
        v = d.get(key)
        if v is None:
            return default
        if isinstance(v, bool):
            return v
        if str(v).lower() in ("yes", "true", "on", "1"):
            return True
        if str(v).lower() in ("no", "false", "off", "0"):
            return False
        self.err(path, "must be a boolean, got %r" % (v,))
        return default

    def choice(self, d, key, path, choices, default=None):
        v = d.get(key)
        if v is None:
            return default
        if v not in choices:
            self.err(path, "must be one of %s, got %r" % (", ".join(choices), v))
            return default
        return v

    def str_(self, d, key, path, default=None, required=False):
        v = d.get(key)
        if v is None or v == "":
            if required:
                self.err(path, "is required")
            return default
        if not isinstance(v, str):
            self.err(path, "must be a string, got %r" % (v,))
            return default
        return v

    def dict_(self, d, key, path):
        v = d.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.err(path, "must be a mapping")
            return {}
        return v

    def list_(self, d, key, path):
        v = d.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            self.err(path, "must be a list")
            return []
        return v


def _abs_path(c, value, path):
    if value is not None and not str(value).startswith("/"):
        c.err(path, "must be an absolute path, got %r" % (value,))


def _disks(c, name, raw, pool):
    out, targets = [], {}
    for i, d in enumerate(raw):
        p = "disks[%d]" % i
        if not isinstance(d, dict):
            c.err(p, "must be a mapping")
            continue
        device = c.choice(d, "device", p + ".device", ("disk", "cdrom"), "disk")
        bus = c.choice(d, "bus", p + ".bus", BUSES, "sata" if device == "cdrom" else "virtio")
        if device == "cdrom" and bus == "virtio":
            c.err(p + ".bus", "a cdrom cannot be on the virtio bus")
        kinds = [k for k in ("size", "base", "volume", "path") if d.get(k) is not None and k != "size"]
        if len(kinds) > 1:
            c.err(p, "give one of base, volume, path (got %s)" % ", ".join(kinds))
        size = None
        if d.get("size") is not None:
            try:
                size = parse_size(d["size"])
            except ValueError as e:
                c.err(p + ".size", "%s, got %r" % (e, d["size"]))
        fmt = c.choice(d, "format", p + ".format", ("qcow2", "raw"), "qcow2")
        disk = {"device": device, "bus": bus, "format": fmt,
                "size": size, "readonly": c.bool_(d, "readonly", p + ".readonly", device == "cdrom"),
                "pool": c.str_(d, "pool", p + ".pool", pool), "iotune": {}}
        if d.get("path") is not None:
            _abs_path(c, d["path"], p + ".path")
            disk.update(kind="path", path=d["path"])
            if size is not None:
                c.err(p + ".size", "cannot size an existing file (path); use a volume")
        elif d.get("volume") is not None:
            disk.update(kind="volume", volume=c.str_(d, "volume", p + ".volume"))
        elif device == "cdrom":
            c.err(p + ".path", "a cdrom needs a path to an ISO")
        else:
            if d.get("base") is not None:
                _abs_path(c, d["base"], p + ".base")
                disk.update(kind="overlay", base=d["base"])
                if disk["format"] != "qcow2":
                    c.err(p + ".format", "a copy-on-write overlay must be qcow2")
            elif size is None:
                c.err(p, "give a size (new volume), base (overlay), volume or path")
                continue
            else:
                disk.update(kind="new")
            disk["volume"] = c.str_(d, "name", p + ".name", "%s-disk%d.%s" % (name, i, disk["format"]))
        iot = c.dict_(d, "iotune", p + ".iotune")
        for k in sorted(iot):
            if k not in IOTUNE_KEYS:
                c.err(p + ".iotune." + k, "unknown limit (known: %s)" % ", ".join(IOTUNE_KEYS))
                continue
            v = c.int_(iot, k, p + ".iotune." + k, lo=1)
            if v is not None:
                disk["iotune"][k] = v
        if iot.get("total_bytes_sec") and (iot.get("read_bytes_sec") or iot.get("write_bytes_sec")):
            c.err(p + ".iotune", "total_bytes_sec cannot be combined with read/write_bytes_sec")
        if iot.get("total_iops_sec") and (iot.get("read_iops_sec") or iot.get("write_iops_sec")):
            c.err(p + ".iotune", "total_iops_sec cannot be combined with read/write_iops_sec")
        prefix = {"virtio": "vd", "sata": "sd", "scsi": "sd"}[bus]
        n = targets.get(prefix, 0)
        targets[prefix] = n + 1
        disk["target"] = prefix + "abcdefghijklmnopqrstuvwxyz"[n]
        out.append(disk)
    vols = {}
    for i, d in enumerate(out):
        if d.get("volume") and d["kind"] in ("new", "overlay", "volume"):
            key = (d["pool"], d["volume"])
            if key in vols:
                c.err("disks[%d].name" % i, "volume %s is also used by disks[%d]" % (d["volume"], vols[key]))
            vols[key] = i
    return out


def _nics(c, name, raw):
    out, macs = [], {}
    for i, n in enumerate(raw):
        p = "nics[%d]" % i
        if not isinstance(n, dict):
            c.err(p, "must be a mapping")
            continue
        bridge = c.str_(n, "bridge", p + ".bridge", required=True)
        if bridge and not BRIDGE_RE.match(bridge):
            c.err(p + ".bridge", "not a valid interface name: %r" % bridge)
        mac = n.get("mac")
        if mac is None or mac == "":
            mac = derive_mac(name, i)
        else:
            mac = str(mac).lower()
            if not MAC_RE.match(mac):
                c.err(p + ".mac", "not a MAC address: %r" % n["mac"])
            elif int(mac[:2], 16) & 1:
                c.err(p + ".mac", "%s is a multicast address" % mac)
        if mac in macs:
            c.err(p + ".mac", "duplicate MAC %s (also nics[%d])" % (mac, macs[mac]))
        macs.setdefault(mac, i)
        rl = c.dict_(n, "rate_limit", p + ".rate_limit")
        rate = {}
        for k in sorted(rl):
            if k not in ("inbound_kbit", "outbound_kbit", "burst_kb"):
                c.err(p + ".rate_limit." + k, "unknown key (known: inbound_kbit, outbound_kbit, burst_kb)")
                continue
            v = c.int_(rl, k, p + ".rate_limit." + k, lo=8 if k != "burst_kb" else 1, hi=100000000)
            if v is not None:
                rate[k] = v
        if rl and not (rate.get("inbound_kbit") or rate.get("outbound_kbit")):
            c.err(p + ".rate_limit", "give inbound_kbit and/or outbound_kbit")
        out.append({"bridge": bridge, "mac": mac,
                    "model": c.choice(n, "model", p + ".model", NIC_MODELS, "virtio"),
                    "rate_limit": rate, "tap": tap_name(name, i)})
    return out


def validate(params):
    """params (module options, already merged with a profile) -> normalised spec. Raises SpecError."""
    c = _Checker()
    name = c.str_(params, "name", "name", required=True) or ""
    if name and not NAME_RE.match(name):
        c.err("name", "letters, digits, '.', '_', '-' only, at most 63 characters, got %r" % name)
    state = c.choice(params, "state", "state", STATES, "running")
    os_type = c.choice(params, "os_type", "os_type", OS_TYPES, "linux")
    win = os_type == "windows"
    firmware = c.choice(params, "firmware", "firmware", FIRMWARES, "uefi" if win else "bios")
    machine = c.str_(params, "machine", "machine", "q35")
    if win and firmware != "uefi":
        c.err("firmware", "Windows guests are rendered for UEFI only")
    pool = c.str_(params, "pool", "pool", DEFAULT_POOL)
    spec = {
        "name": name, "state": state, "uri": c.str_(params, "uri", "uri", DEFAULT_URI),
        "os_type": os_type, "firmware": firmware, "machine": machine, "pool": pool,
        "vcpus": c.int_(params, "vcpus", "vcpus", 1, lo=1, hi=256),
        "memory": c.int_(params, "memory", "memory", 512, lo=32, hi=4 * 1024 * 1024),
        "autostart": c.bool_(params, "autostart", "autostart", False),
        "serial_console": c.bool_(params, "serial_console", "serial_console", True),
        "purge": c.bool_(params, "purge", "purge", False),
        "restart_on_change": c.bool_(params, "restart_on_change", "restart_on_change", False),
        "shutdown_timeout": c.int_(params, "shutdown_timeout", "shutdown_timeout", 60, lo=0, hi=3600),
        "rate_limit_backend": c.choice(params, "rate_limit_backend", "rate_limit_backend",
                                       RATE_BACKENDS, "auto"),
        "virt_type": c.choice(params, "virt_type", "virt_type", VIRT_TYPES, "auto"),
        "cpu_mode": c.choice(params, "cpu_mode", "cpu_mode", CPU_MODES, "auto"),
    }
    if params.get("uuid"):
        try:
            spec["uuid"] = str(uuidlib.UUID(str(params["uuid"])))
        except ValueError:
            c.err("uuid", "not a UUID: %r" % params["uuid"])
    boot = c.dict_(params, "boot", "boot")
    spec["boot"] = {}
    if boot:
        for k in ("kernel", "initrd"):
            if boot.get(k) is not None:
                _abs_path(c, boot[k], "boot." + k)
        if not boot.get("kernel"):
            c.err("boot.kernel", "direct kernel boot needs a kernel")
        if win:
            c.err("boot", "direct kernel boot is for Linux guests")
        spec["boot"] = {"kernel": boot.get("kernel"), "initrd": boot.get("initrd"),
                        "cmdline": c.str_(boot, "cmdline", "boot.cmdline", "")}
        for k in sorted(boot):
            if k not in ("kernel", "initrd", "cmdline"):
                c.err("boot." + k, "unknown key")
    spec["disks"] = _disks(c, name, c.list_(params, "disks", "disks"), pool)
    spec["nics"] = _nics(c, name, c.list_(params, "nics", "nics"))
    # CPU pinning
    pins = c.list_(params, "vcpu_pins", "vcpu_pins")
    spec["vcpu_pins"] = []
    for i, cs in enumerate(pins):
        cs = str(cs)
        if not CPUSET_RE.match(cs):
            c.err("vcpu_pins[%d]" % i, "not a cpuset (e.g. 2 or 0-3,6): %r" % cs)
            continue
        try:
            parse_cpuset(cs)
        except ValueError as e:
            c.err("vcpu_pins[%d]" % i, str(e))
        spec["vcpu_pins"].append(cs)
    if spec["vcpus"] is not None and len(pins) > spec["vcpus"]:
        c.err("vcpu_pins", "%d pins for %d vCPUs" % (len(pins), spec["vcpus"]))
    ep = params.get("emulator_pin")
    spec["emulator_pin"] = None
    if ep not in (None, ""):
        if not CPUSET_RE.match(str(ep)):
            c.err("emulator_pin", "not a cpuset: %r" % (ep,))
        else:
            spec["emulator_pin"] = str(ep)
    wd = c.dict_(params, "watchdog", "watchdog")
    spec["watchdog"] = None
    if wd:
        spec["watchdog"] = {"model": c.choice(wd, "model", "watchdog.model", WATCHDOG_MODELS, "i6300esb"),
                            "action": c.choice(wd, "action", "watchdog.action", WATCHDOG_ACTIONS, "reset")}
    ci = c.dict_(params, "cloud_init", "cloud_init")
    spec["cloud_init"] = None
    if ci:
        if win:
            c.err("cloud_init", "cloud-init seeds are for Linux guests")
        keys = c.list_(ci, "ssh_authorized_keys", "cloud_init.ssh_authorized_keys")
        for i, k in enumerate(keys):
            if not isinstance(k, str) or not re.match(r"^(ssh-|ecdsa-|sk-)", k):
                c.err("cloud_init.ssh_authorized_keys[%d]" % i, "not an SSH public key")
        addr = c.str_(ci, "address", "cloud_init.address")
        if addr and not re.match(r"^\d+\.\d+\.\d+\.\d+/\d+$", addr):
            c.err("cloud_init.address", "must be an IPv4 CIDR like 10.3.0.20/24, got %r" % addr)
        spec["cloud_init"] = {
            "user": c.str_(ci, "user", "cloud_init.user", "azb"),
            "ssh_authorized_keys": keys, "address": addr,
            "gateway": c.str_(ci, "gateway", "cloud_init.gateway"),
            "dns": [str(x) for x in c.list_(ci, "dns", "cloud_init.dns")],
            "password_hash": c.str_(ci, "password_hash", "cloud_init.password_hash"),
            "hostname": c.str_(ci, "hostname", "cloud_init.hostname", name),
        }
    w = c.dict_(params, "windows", "windows")
    spec["windows"] = None
    if win:
        iso = w.get("virtio_iso", "/usr/share/virtio-win/virtio-win.iso")
        _abs_path(c, iso, "windows.virtio_iso")
        spec["windows"] = {"virtio_iso": iso, "hyperv": c.bool_(w, "hyperv", "windows.hyperv", True),
                           "tpm": c.bool_(w, "tpm", "windows.tpm", False)}
    elif w:
        c.err("windows", "only for os_type: windows")
    snap = c.dict_(params, "snapshot", "snapshot")
    spec["snapshot"] = None
    if snap:
        action = c.choice(snap, "action", "snapshot.action", SNAPSHOT_ACTIONS, "create")
        sname = c.str_(snap, "name", "snapshot.name")
        if action != "list" and not sname:
            c.err("snapshot.name", "is required for %s" % action)
        elif sname and not NAME_RE.match(sname):
            c.err("snapshot.name", "letters, digits, '.', '_', '-' only, got %r" % sname)
        spec["snapshot"] = {"action": action, "name": sname,
                            "keep": c.int_(snap, "keep", "snapshot.keep", None, lo=1),
                            "description": c.str_(snap, "description", "snapshot.description", "")}
    if c.errors:
        raise SpecError(c.errors)
    return spec


def accelerate(spec, domain_types):
    """The spec with ``domain_type`` and ``cpu`` (libvirt's cpu mode, or None: the hypervisor's default
    model) resolved for a box whose libvirt offers ``domain_types`` (None: no box to ask, as for
    ``state: rendered``, which renders what a production box with KVM gets). Raises SpecError where the
    box lacks what the spec asks for."""
    out = dict(spec)
    offered = ("kvm", "qemu") if domain_types is None else tuple(domain_types)
    if spec["virt_type"] == "auto":
        out["domain_type"] = "kvm" if "kvm" in offered else "qemu"
    elif spec["virt_type"] in offered:
        out["domain_type"] = spec["virt_type"]
    else:
        raise SpecError([("virt_type", "%s is not available on this box (libvirt offers: %s)%s"
                          % (spec["virt_type"], ", ".join(offered) or "nothing",
                             "; /dev/kvm is missing or the CPU's virtualisation is off in the firmware"
                             if spec["virt_type"] == "kvm" else ""))])
    mode = spec["cpu_mode"]
    if mode == "auto":
        mode = "host-passthrough" if out["domain_type"] == "kvm" else "default"
    elif mode == "host-passthrough" and out["domain_type"] != "kvm":
        raise SpecError([("cpu_mode", "host-passthrough needs KVM (virt_type kvm): TCG cannot pass the host's CPU "
                          "through, and this VM's virt_type resolved to qemu")])
    out["cpu"] = None if mode == "default" else mode
    return out


def check_host(spec, host):
    """Checks that need the box's facts: ``host = {'memory_mib': int, 'cpus': int}``."""
    errors = []
    if spec["memory"] > host["memory_mib"]:
        errors.append(("memory", "%d MiB is more than the host has (%d MiB)"
                       % (spec["memory"], host["memory_mib"])))
    for i, cs in enumerate(spec["vcpu_pins"]):
        bad = [n for n in parse_cpuset(cs) if n >= host["cpus"]]
        if bad:
            errors.append(("vcpu_pins[%d]" % i, "CPU %s does not exist (host CPUs 0-%d)"
                           % (",".join(map(str, bad)), host["cpus"] - 1)))
    if spec["emulator_pin"]:
        bad = [n for n in parse_cpuset(spec["emulator_pin"]) if n >= host["cpus"]]
        if bad:
            errors.append(("emulator_pin", "CPU %s does not exist (host CPUs 0-%d)"
                           % (",".join(map(str, bad)), host["cpus"] - 1)))
    if errors:
        raise SpecError(errors)
