# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalise domain XML to what azb_vm manages, so ours and libvirt's compare equal when they mean
the same thing.

libvirt's inactive XML adds defaults (PCI addresses, controllers, emulator, cpu model, expanded
machine types like ``pc-q35-7.2``, memory in KiB). ``canonical()`` keeps only the managed parts, in a
fixed order with fixed units, and is applied to both sides: the desired XML and the live domain.
Its output is also the diff shown to the user (``before``/``after``). Pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.azblink.nfv.plugins.module_utils.vm import tc
from ansible_collections.azblink.nfv.plugins.module_utils.vm.render import AZB_NS, to_text

_UNITS = {"b": 1.0 / 1024, "bytes": 1.0 / 1024, "k": 1, "kib": 1, "kb": 1000.0 / 1024,
          "m": 1024, "mib": 1024, "mb": 1000.0 ** 2 / 1024, "g": 1024 ** 2, "gib": 1024 ** 2,
          "gb": 1000.0 ** 3 / 1024}


def machine_alias(machine):
    """'pc-q35-7.2' -> 'q35', 'pc-i440fx-7.2' -> 'pc': libvirt expands the alias at define time."""
    if re.match(r"^pc-q35-", machine or ""):
        return "q35"
    if re.match(r"^pc-i440fx-", machine or "") or machine == "pc":
        return "pc"
    return machine


def _kib(el):
    if el is None:
        return None
    unit = (el.get("unit") or "KiB").lower()
    return str(int(round(int(el.text.strip()) * _UNITS.get(unit, 1))))


def _copy(parent, src, tag=None, attrs=(), text=False):
    el = ET.SubElement(parent, tag or src.tag, dict((a, src.get(a)) for a in attrs if src.get(a) is not None))
    if text and src.text is not None:
        el.text = src.text.strip()
    return el


def canonical(xml_text):
    """Domain XML (ours or libvirt's) -> the canonical text of what azb_vm manages."""
    src = ET.fromstring(xml_text)
    out = ET.Element("domain", {"type": src.get("type")})
    for tag in ("name", "uuid"):
        e = src.find(tag)
        if e is not None:
            _copy(out, e, text=True)
    vm = src.find("metadata/{%s}vm" % AZB_NS)
    if vm is not None:
        md = ET.SubElement(ET.SubElement(out, "metadata"), "azb-vm")
        for n in sorted(vm.findall("{%s}nic" % AZB_NS), key=lambda x: x.get("tap") or ""):
            ET.SubElement(md, "nic", dict(sorted(n.attrib.items())))
    ET.SubElement(out, "memory", {"unit": "KiB"}).text = _kib(src.find("memory"))
    cur = src.find("currentMemory")
    ET.SubElement(out, "currentMemory", {"unit": "KiB"}).text = _kib(cur if cur is not None
                                                                     else src.find("memory"))
    vc = src.find("vcpu")
    ET.SubElement(out, "vcpu").text = vc.text.strip() if vc is not None else "1"
    ct = src.find("cputune")
    if ct is not None and (ct.findall("vcpupin") or ct.find("emulatorpin") is not None):
        oct_ = ET.SubElement(out, "cputune")
        for p in sorted(ct.findall("vcpupin"), key=lambda x: int(x.get("vcpu"))):
            _copy(oct_, p, attrs=("vcpu", "cpuset"))
        ep = ct.find("emulatorpin")
        if ep is not None:
            _copy(oct_, ep, attrs=("cpuset",))
    cpu = src.find("cpu")
    # Only the modes azb_vm renders: libvirt writes its default model (mode custom) into every inactive
    # domain of type qemu, which means no <cpu> of ours.
    if cpu is not None and cpu.get("mode") in ("host-passthrough", "host-model"):
        _copy(out, cpu, attrs=("mode",))
    os_ = src.find("os")
    oos = ET.SubElement(out, "os")
    fw = os_.get("firmware")
    if fw is None and os_.find("loader") is not None and os_.find("loader").get("type") == "pflash":
        fw = "efi"
    if fw:
        oos.set("firmware", fw)
    t = os_.find("type")
    ET.SubElement(oos, "type", {"machine": machine_alias(t.get("machine"))}).text = (t.text or "").strip()
    for tag in ("kernel", "initrd", "cmdline"):
        e = os_.find(tag)
        if e is not None:
            _copy(oos, e, text=True)
    if os_.find("kernel") is None:
        for b in os_.findall("boot"):
            _copy(oos, b, attrs=("dev",))
    feats = src.find("features")
    ofe = ET.SubElement(out, "features")
    if feats is not None:
        for f in sorted(feats, key=lambda x: x.tag):
            if f.tag in ("acpi", "apic", "vmport"):
                _copy(ofe, f, attrs=("state",))
            elif f.tag == "hyperv":
                hv = ET.SubElement(ofe, "hyperv")
                for h in sorted(f, key=lambda x: x.tag):
                    _copy(hv, h, attrs=("state", "retries"))
    clock = src.find("clock")
    ocl = ET.SubElement(out, "clock", {"offset": clock.get("offset") if clock is not None else "utc"})
    if clock is not None:
        for tm in sorted(clock.findall("timer"), key=lambda x: x.get("name")):
            _copy(ocl, tm, attrs=("name", "tickpolicy", "present"))
    for tag, default in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        e = src.find(tag)
        ET.SubElement(out, tag).text = e.text.strip() if e is not None else default
    dev = src.find("devices")
    odev = ET.SubElement(out, "devices")
    for d in sorted(dev.findall("disk"), key=lambda x: x.find("target").get("dev")):
        od = _copy(odev, d, attrs=("type", "device"))
        drv = d.find("driver")
        if drv is not None:
            _copy(od, drv, attrs=("type",))
        s = d.find("source")
        if s is not None:
            _copy(od, s, attrs=("file", "pool", "volume", "dev"))
        _copy(od, d.find("target"), attrs=("dev", "bus"))
        io = d.find("iotune")
        if io is not None and len(io):
            oio = ET.SubElement(od, "iotune")
            for x in sorted(io, key=lambda x: x.tag):
                _copy(oio, x, text=True)
        if d.find("readonly") is not None:
            ET.SubElement(od, "readonly")
    for i in dev.findall("interface"):
        oi = _copy(odev, i, attrs=("type",))
        for tag, attrs in (("mac", ("address",)), ("source", ("bridge", "network")), ("target", ("dev",)),
                           ("model", ("type",)), ("rom", ("enabled",))):
            e = i.find(tag)
            if e is not None:
                _copy(oi, e, attrs=attrs)
        bw = i.find("bandwidth")
        if bw is not None and len(bw):
            obw = ET.SubElement(oi, "bandwidth")
            for x in sorted(bw, key=lambda x: x.tag):
                _copy(obw, x, attrs=("average", "peak", "burst"))
    for tag in ("serial", "console"):
        for e in dev.findall(tag):
            _copy(odev, e, attrs=("type",))
    for tag, attrs in (("input", ("type", "bus")), ("graphics", ("type", "listen")), ("tpm", ("model",))):
        for e in dev.findall(tag):
            if tag == "input" and e.get("bus") == "ps2":
                continue  # libvirt adds these on every x86 domain
            _copy(odev, e, attrs=attrs)
    for v in dev.findall("video"):
        m = v.find("model")
        ET.SubElement(odev, "video", {"model": m.get("type") if m is not None else ""})
    w = dev.find("watchdog")
    if w is not None:
        _copy(odev, w, attrs=("model", "action"))
    mb = dev.find("memballoon")
    ET.SubElement(odev, "memballoon", {"model": mb.get("model") if mb is not None else "virtio"})
    return to_text(out)


def domain_uuid(xml_text):
    e = ET.fromstring(xml_text).find("uuid")
    return e.text.strip() if e is not None else None


rate_limits_from_xml = tc.rate_limits_from_xml  # one reader, shared with the libvirt hook
