# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM profiles (documented data, see docs/vms.md) and inventory resolution: ``azb_vms`` entries ->
azb_vm arguments, with zones resolved to bridges and every problem reported with its field path.

A VM is its profile's defaults plus its own keys: mappings merge key by key, lists (disks, nics)
replace. A profile NIC names a zone role (``zone_role: trusted``), resolved to the first zone of
that role in ``azb_zones``; a VM's own NICs name a zone (``zone: office``). Pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.inventory import zones as inv_zones
from ansible_collections.azblink.nfv.plugins.module_utils.vm import model

ZONE_ROLES = ("wan", "restricted", "dmz", "trusted")

PROFILES = {
    "linux-server": {
        "description": "General Linux server: 1 vCPU, 1 GiB, 20 GiB disk, trusted zone.",
        "vcpus": 1, "memory": 1024, "disks": [{"size": "20G"}], "nics": [{"zone_role": "trusted"}],
        "autostart": True,
    },
    "windows-desktop": {
        "description": "Windows 10/11 desktop: UEFI, Hyper-V enlightenments, virtio ISO, 2 vCPU, 4 GiB, 64 GiB.",
        "os_type": "windows", "vcpus": 2, "memory": 4096, "disks": [{"size": "64G", "bus": "sata"}],
        "nics": [{"zone_role": "trusted"}], "windows": {"hyperv": True},
    },
    "internet-desktop": {
        "description": "Isolated browsing desktop in a restricted zone of its own: reaches the internet "
                       "through br0, initiates nothing toward other zones.",
        "vcpus": 2, "memory": 2048, "disks": [{"size": "20G"}], "nics": [{"zone_role": "restricted"}],
    },
    "nvr": {
        "description": "Network video recorder: large disk, rate-limited NIC, autostart, always on.",
        "vcpus": 2, "memory": 2048, "disks": [{"size": "20G"}, {"size": "1T"}],
        "nics": [{"zone_role": "trusted", "rate_limit": {"inbound_kbit": 100000, "outbound_kbit": 20000}}],
        "autostart": True, "always_on": True,
    },
    "ai-worker": {
        "description": "Compute worker: every host CPU but CPU 0 pinned 1:1, emulator on CPU 0, 75% of "
                       "host memory.",
        "pin": "all-but-0", "memory_percent": 75, "disks": [{"size": "40G"}],
        "nics": [{"zone_role": "trusted"}], "autostart": True,
    },
    "pos": {
        "description": "Point of sale: small, restricted zone, autostart, always on.",
        "vcpus": 1, "memory": 512, "disks": [{"size": "8G"}], "nics": [{"zone_role": "restricted"}],
        "autostart": True, "always_on": True,
    },
    "admin-console": {
        "description": "Admin jump host in a trusted zone.",
        "vcpus": 1, "memory": 1024, "disks": [{"size": "10G"}], "nics": [{"zone_role": "trusted"}],
    },
    "sbc": {
        "description": "Session border controller: one vCPU pinned to the last host CPU, DMZ, SIP/RTP "
                       "ports published for the firewall, always on.",
        "vcpus": 1, "memory": 1024, "pin": "last", "disks": [{"size": "8G"}], "nics": [{"zone_role": "dmz"}],
        "autostart": True, "always_on": True,
        "publish": [{"proto": "udp", "port": "5060"}, {"proto": "tcp", "port": "5061"},
                    {"proto": "udp", "port": "10000-20000"}],
    },
}

# keys the role consumes itself; everything else goes to azb_vm
ROLE_KEYS = ("profile", "always_on", "health", "publish", "pin", "memory_percent", "description")
NIC_ROLE_KEYS = ("zone", "zone_role", "address")


def plain_copy(value):
    """A copy of nested dicts and lists (scalars shared, they are immutable). Not copy.deepcopy: on
    the controller the inventory's values are Ansible's lazy containers, whose deep copy copies the
    templar and every variable of the play with them (a second per VM per box, measured)."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_copy(v) for v in value]
    return value


def merge(base, over):
    out = plain_copy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = plain_copy(v)
    return out


def _strip_prefix(addr):
    return str(addr).split("/", maxsplit=1)[0] if addr else None


def resolve(vms, zones, profiles=None, host=None, defaults=None):
    """-> list of {'name', 'args' (azb_vm options), 'health' or None, 'publish'}. Raises SpecError."""
    catalogue = merge(PROFILES, profiles or {})
    host = host or {}
    defaults = dict(defaults or {})
    health_defaults = {"probe": "ping", "port": 80, "failures": 3, "action": "reset", "grace": 60}
    health_defaults.update(defaults.pop("health", None) or {})
    errors = []
    zone_by_name, zone_by_role = {}, {}
    try:
        parsed = inv_zones.parse(zones or [], "azb_zones")
    except ValidationError as exc:
        errors.append((exc.path, exc.reason))
        parsed = []
    for z in parsed:
        # a zone without bridge (a tunnel's) is known by name but takes no VM NIC
        zone_by_name[z.name] = {"name": z.name, "role": z.role, "bridge": z.bridge}
        if z.bridge:
            zone_by_role.setdefault(z.role, zone_by_name[z.name])
    out, names, macs = [], {}, {}
    if not isinstance(vms, list):
        raise model.SpecError([("azb_vms", "must be a list")])
    for i, raw in enumerate(vms):
        p = "azb_vms[%d]" % i
        if not isinstance(raw, dict):
            errors.append((p, "must be a mapping"))
            continue
        prof_name = raw.get("profile")
        vm = {}
        if prof_name is not None:
            if prof_name not in catalogue:
                errors.append((p + ".profile", "unknown profile %r (known: %s)"
                               % (prof_name, ", ".join(sorted(catalogue)))))
                continue
            vm = plain_copy(catalogue[prof_name])
        vm = merge(dict((k, v) for k, v in vm.items() if k not in ("nics", "disks", "description")), raw)
        for k in ("nics", "disks", "publish"):
            if k not in raw and prof_name and k in catalogue[prof_name]:
                vm[k] = plain_copy(catalogue[prof_name][k])
        for k, v in defaults.items():
            vm.setdefault(k, v)
        name = vm.get("name")
        if name in names:
            errors.append((p + ".name", "duplicate VM name %r (also azb_vms[%d])" % (name, names[name])))
        elif name:
            names[name] = i
        # host-relative profile keys
        if vm.get("memory_percent") and "memory" not in raw:
            if host.get("memory_mib"):
                vm["memory"] = int(host["memory_mib"] * int(vm["memory_percent"]) / 100)
            else:
                errors.append((p + ".memory_percent", "needs the host's memory (gather facts)"))
        pin = vm.get("pin")
        if pin and "vcpu_pins" not in raw:
            cpus = host.get("cpus")
            if not cpus:
                errors.append((p + ".pin", "needs the host's CPU count (gather facts)"))
            elif pin == "all-but-0":
                ids = list(range(1, cpus)) or [0]
                if "vcpus" not in raw:
                    vm["vcpus"] = len(ids)
                vm["vcpu_pins"] = [str(c) for c in ids[:vm["vcpus"]]]
                vm.setdefault("emulator_pin", "0")
            elif pin == "last":
                vm["vcpu_pins"] = [str(cpus - 1)] * int(vm.get("vcpus", 1))
            else:
                errors.append((p + ".pin", "must be all-but-0 or last, got %r" % (pin,)))
        nics, first_addr = [], None
        for j, n in enumerate(vm.get("nics") or []):
            np_ = "%s.nics[%d]" % (p, j)
            if not isinstance(n, dict):
                errors.append((np_, "must be a mapping"))
                continue
            z = None
            if n.get("bridge") and not n.get("zone"):
                bridge = n["bridge"]
            elif n.get("zone"):
                z = zone_by_name.get(n["zone"])
                if z is None:
                    errors.append((np_ + ".zone", "unknown zone %r (known: %s)"
                                   % (n["zone"], ", ".join(sorted(zone_by_name)) or "none declared")))
                    continue
                bridge = z["bridge"]
                if not bridge:
                    errors.append((np_ + ".zone", "zone %r has no bridge for a VM to plug into" % n["zone"]))
                    continue
            elif n.get("zone_role"):
                z = zone_by_role.get(n["zone_role"])
                if z is None:
                    errors.append((np_ + ".zone", "the profile wants a %s zone and azb_zones has none; "
                                   "name a zone" % n["zone_role"]))
                    continue
                bridge = z["bridge"]
            else:
                errors.append((np_ + ".zone", "is required"))
                continue
            if first_addr is None and n.get("address"):
                first_addr = n["address"]
            nic = dict((k, v) for k, v in n.items() if k not in NIC_ROLE_KEYS)
            nic["bridge"] = bridge
            nics.append(nic)
        args = dict((k, v) for k, v in vm.items() if k not in ROLE_KEYS)
        args["nics"] = nics
        if args.get("cloud_init") and first_addr and not args["cloud_init"].get("address"):
            args["cloud_init"] = dict(args["cloud_init"], address=first_addr)
        try:
            spec = model.validate(args)
        except model.SpecError as e:
            errors.extend(("%s.%s" % (p, path), reason) for path, reason in e.errors)
            continue
        for j, n in enumerate(spec["nics"]):
            if n["mac"] in macs:
                errors.append(("%s.nics[%d].mac" % (p, j), "duplicate MAC %s (also %s)" % (n["mac"], macs[n["mac"]])))
            macs.setdefault(n["mac"], "%s.nics[%d]" % (p, j))
        health = None
        if vm.get("always_on"):
            h = merge(health_defaults, vm.get("health") or {})
            target = h.get("address") or _strip_prefix(first_addr)
            if not target:
                errors.append((p + ".health.address", "an always-on VM needs a probe address "
                               "(health.address or nics[0].address)"))
            else:
                health = {"name": name, "address": target, "probe": h["probe"], "port": int(h["port"]),
                          "failures": int(h["failures"]), "action": h["action"], "grace": int(h["grace"])}
                if health["probe"] not in ("ping", "tcp"):
                    errors.append((p + ".health.probe", "must be ping or tcp"))
                if health["action"] not in ("reset", "restart"):
                    errors.append((p + ".health.action", "must be reset or restart"))
        out.append({"name": name, "args": args, "health": health, "publish": vm.get("publish") or [],
                    "addresses": [n.get("address") for n in (vm.get("nics") or []) if isinstance(n, dict)]})
    if errors:
        raise model.SpecError(errors)
    return out
