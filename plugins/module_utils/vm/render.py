# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers: a validated VM spec -> libvirt domain XML, cloud-init seed files.

No system access; the same input gives the same text byte for byte.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.azblink.nfv.plugins.module_utils.vm.tc import AZB_NS

ET.register_namespace("azb", AZB_NS)

HYPERV_FEATURES = (("relaxed", {}), ("vapic", {}), ("spinlocks", {"retries": "8191"}), ("vpindex", {}),
                   ("runtime", {}), ("synic", {}), ("stimer", {}), ("reset", {}), ("frequencies", {}))


def _sub(parent, tag, attrib=None, text=None):
    el = ET.SubElement(parent, tag, dict(attrib or {}))
    if text is not None:
        el.text = str(text)
    return el


def _indent(el, level=0):
    pad = "\n" + "  " * level
    if len(el):
        if not (el.text or "").strip():
            el.text = pad + "  "
        for child in el:
            _indent(child, level + 1)
        if not (child.tail or "").strip():
            child.tail = pad
    if level and not (el.tail or "").strip():
        el.tail = pad


def to_text(root):
    _indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def seed_volume(spec):
    return "%s-cidata.iso" % spec["name"]


def render_metadata(parent, spec):
    """Our own metadata: what the tc hook needs to shape NICs at every start (no side files)."""
    md = _sub(parent, "metadata")
    vm = _sub(md, "{%s}vm" % AZB_NS, {"version": "1"})
    for n in spec["nics"]:
        if n["rate_limit"]:
            attrs = {"tap": n["tap"], "mac": n["mac"]}
            attrs.update(dict((k, str(v)) for k, v in sorted(n["rate_limit"].items())))
            _sub(vm, "{%s}nic" % AZB_NS, attrs)
    return md


def render_domain(spec, uuid, rate_backend="tc"):
    """spec (model.validate, then model.accelerate for its domain type and CPU) -> domain XML text.
    ``rate_backend``: 'tc' or 'libvirt'."""
    win = spec["os_type"] == "windows"
    root = ET.Element("domain", {"type": spec["domain_type"]})
    _sub(root, "name", text=spec["name"])
    _sub(root, "uuid", text=uuid)
    render_metadata(root, spec)
    _sub(root, "memory", {"unit": "KiB"}, spec["memory"] * 1024)
    _sub(root, "currentMemory", {"unit": "KiB"}, spec["memory"] * 1024)
    _sub(root, "vcpu", {"placement": "static"}, spec["vcpus"])
    if spec["vcpu_pins"] or spec["emulator_pin"]:
        ct = _sub(root, "cputune")
        for i, cs in enumerate(spec["vcpu_pins"]):
            _sub(ct, "vcpupin", {"vcpu": str(i), "cpuset": cs})
        if spec["emulator_pin"]:
            _sub(ct, "emulatorpin", {"cpuset": spec["emulator_pin"]})
    if spec["cpu"]:
        # check none: libvirt compares nothing at start (host-passthrough is the host's CPU by definition)
        _sub(root, "cpu", {"mode": spec["cpu"], "check": "none" if spec["cpu"] == "host-passthrough" else "partial"})
    os_attrs = {"firmware": "efi"} if spec["firmware"] == "uefi" else {}
    os_el = _sub(root, "os", os_attrs)
    _sub(os_el, "type", {"arch": "x86_64", "machine": spec["machine"]}, "hvm")
    if spec["boot"]:
        _sub(os_el, "kernel", text=spec["boot"]["kernel"])
        if spec["boot"].get("initrd"):
            _sub(os_el, "initrd", text=spec["boot"]["initrd"])
        _sub(os_el, "cmdline", text=spec["boot"].get("cmdline") or "")
    else:
        _sub(os_el, "boot", {"dev": "hd"})
        if any(d["device"] == "cdrom" for d in spec["disks"]) or win:
            _sub(os_el, "boot", {"dev": "cdrom"})
    feats = _sub(root, "features")
    _sub(feats, "acpi")
    _sub(feats, "apic")
    if win and spec["windows"]["hyperv"]:
        hv = _sub(feats, "hyperv", {"mode": "custom"})
        for name, extra in HYPERV_FEATURES:
            attrs = {"state": "on"}
            attrs.update(extra)
            _sub(hv, name, attrs)
        _sub(feats, "vmport", {"state": "off"})
    clock = _sub(root, "clock", {"offset": "localtime" if win else "utc"})
    if win:
        _sub(clock, "timer", {"name": "rtc", "tickpolicy": "catchup"})
        _sub(clock, "timer", {"name": "pit", "tickpolicy": "delay"})
        _sub(clock, "timer", {"name": "hpet", "present": "no"})
        if spec["windows"]["hyperv"]:
            _sub(clock, "timer", {"name": "hypervclock", "present": "yes"})
    _sub(root, "on_poweroff", text="destroy")
    _sub(root, "on_reboot", text="restart")
    _sub(root, "on_crash", text="destroy")
    dev = _sub(root, "devices")
    for d in all_disks(spec):
        _render_disk(dev, d)
    for n in spec["nics"]:
        iface = _sub(dev, "interface", {"type": "bridge"})
        _sub(iface, "mac", {"address": n["mac"]})
        _sub(iface, "source", {"bridge": n["bridge"]})
        _sub(iface, "target", {"dev": n["tap"]})
        _sub(iface, "model", {"type": n["model"]})
        if rate_backend == "libvirt" and n["rate_limit"]:
            bw = _sub(iface, "bandwidth")
            for key, tag in (("inbound_kbit", "inbound"), ("outbound_kbit", "outbound")):
                if n["rate_limit"].get(key):
                    attrs = {"average": str(max(1, n["rate_limit"][key] // 8))}  # KiB/s
                    if n["rate_limit"].get("burst_kb"):
                        attrs["burst"] = str(n["rate_limit"]["burst_kb"])
                    _sub(bw, tag, attrs)
        _sub(iface, "rom", {"enabled": "no"})
    if spec["serial_console"]:
        _sub(_sub(dev, "serial", {"type": "pty"}), "target", {"port": "0"})
        _sub(_sub(dev, "console", {"type": "pty"}), "target", {"type": "serial", "port": "0"})
    if win:
        _sub(dev, "input", {"type": "tablet", "bus": "usb"})
        _sub(dev, "graphics", {"type": "vnc", "port": "-1", "autoport": "yes", "listen": "127.0.0.1"})
        _sub(_sub(dev, "video"), "model", {"type": "qxl"})
        if spec["windows"]["tpm"]:
            tpm = _sub(dev, "tpm", {"model": "tpm-crb"})
            _sub(tpm, "backend", {"type": "emulator", "version": "2.0"})
    else:
        _sub(dev, "controller", {"type": "usb", "model": "none"})
    if spec["watchdog"]:
        _sub(dev, "watchdog", {"model": spec["watchdog"]["model"], "action": spec["watchdog"]["action"]})
    _sub(dev, "memballoon", {"model": "virtio" if win else "none"})
    return to_text(root)


def all_disks(spec):
    """Declared disks plus the ones the OS type implies (cloud-init seed, virtio driver ISO)."""
    disks = [dict(d) for d in spec["disks"]]
    sata = sum(1 for d in disks if d["bus"] == "sata")
    if spec.get("cloud_init"):
        disks.append({"device": "cdrom", "bus": "sata", "kind": "volume", "pool": spec["pool"],
                      "volume": seed_volume(spec), "format": "raw", "readonly": True, "iotune": {},
                      "target": "sd" + "abcdefghijklmnopqrstuvwxyz"[sata]})
        sata += 1
    if spec.get("windows"):
        disks.append({"device": "cdrom", "bus": "sata", "kind": "path",
                      "path": spec["windows"]["virtio_iso"], "format": "raw", "readonly": True,
                      "iotune": {}, "target": "sd" + "abcdefghijklmnopqrstuvwxyz"[sata]})
    return disks


def _render_disk(dev, d):
    by_volume = d["kind"] in ("new", "overlay", "volume")
    disk = _sub(dev, "disk", {"type": "volume" if by_volume else "file", "device": d["device"]})
    _sub(disk, "driver", {"name": "qemu", "type": d["format"]})
    if by_volume:
        _sub(disk, "source", {"pool": d["pool"], "volume": d["volume"]})
    else:
        _sub(disk, "source", {"file": d["path"]})
    _sub(disk, "target", {"dev": d["target"], "bus": d["bus"]})
    if d["iotune"]:
        io = _sub(disk, "iotune")
        for k in sorted(d["iotune"]):
            _sub(io, k, text=d["iotune"][k])
    if d["readonly"]:
        _sub(disk, "readonly")


def render_volume(d, capacity):
    """Storage volume XML for a new disk or a copy-on-write overlay (capacity in bytes)."""
    vol = ET.Element("volume")
    _sub(vol, "name", text=d["volume"])
    _sub(vol, "capacity", {"unit": "bytes"}, capacity)
    _sub(_sub(vol, "target"), "format", {"type": d["format"]})
    if d["kind"] == "overlay":
        bs = _sub(vol, "backingStore")
        _sub(bs, "path", text=d["base"])
        _sub(bs, "format", {"type": "qcow2"})
    return to_text(vol)


def _yaml_str(s):
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


def render_cloud_init(spec, mac):
    """NoCloud seed files: {'meta-data': ..., 'user-data': ..., 'network-config': ...}.

    A password is only ever given as a hash; it still never appears in module output (the seed is
    written to the box, its content is not returned).
    """
    ci = spec["cloud_init"]
    meta = "instance-id: %s\nlocal-hostname: %s\n" % (spec["name"], ci["hostname"])
    user = ["#cloud-config", "hostname: %s" % _yaml_str(ci["hostname"]), "users:",
            "  - name: %s" % _yaml_str(ci["user"]), "    groups: [sudo]",
            "    shell: /bin/bash", "    sudo: \"ALL=(ALL) NOPASSWD:ALL\""]
    if ci["password_hash"]:
        user += ["    lock_passwd: false", "    passwd: %s" % _yaml_str(ci["password_hash"])]
    else:
        user.append("    lock_passwd: true")
    if ci["ssh_authorized_keys"]:
        user.append("    ssh_authorized_keys:")
        user += ["      - %s" % _yaml_str(k) for k in ci["ssh_authorized_keys"]]
    user.append("ssh_pwauth: false")
    net = ["version: 2", "ethernets:", "  nic0:"]
    if mac:
        net += ["    match:", "      macaddress: \"%s\"" % mac, "    set-name: eth0"]
    if ci["address"]:
        net += ["    dhcp4: false", "    addresses: [%s]" % ci["address"]]
        if ci["gateway"]:
            net += ["    routes:", "      - to: 0.0.0.0/0", "        via: %s" % ci["gateway"]]
        if ci["dns"]:
            net += ["    nameservers:", "      addresses: [%s]" % ", ".join(ci["dns"])]
    else:
        net.append("    dhcp4: true")
    return {"meta-data": meta, "user-data": "\n".join(user) + "\n", "network-config": "\n".join(net) + "\n"}
