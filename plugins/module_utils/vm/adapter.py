# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""System access for azb_vm: libvirt-python (domains, volumes, snapshots) and tc/ip for tap shaping.

Everything that reads or changes the box is here; decisions are in plan.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

try:
    import libvirt
    HAS_LIBVIRT = True
except ImportError:  # pragma: no cover - the controller has no libvirt; the appliance does
    libvirt = None
    HAS_LIBVIRT = False

from ansible_collections.azblink.nfv.plugins.module_utils.vm import tc as tcmod


class AdapterError(Exception):
    pass


def _silence(_ctx, _err):
    pass


def domain_types(capabilities_xml, arch="x86_64"):
    """libvirt's capabilities XML -> the domain types it offers for hvm guests of ``arch`` (kvm only
    where /dev/kvm works for libvirtd)."""
    root = ET.fromstring(capabilities_xml)
    found = []
    for guest in root.findall("guest"):
        a = guest.find("arch")
        if (guest.findtext("os_type") or "").strip() != "hvm" or a is None or a.get("name") != arch:
            continue
        for d in a.findall("domain"):
            if d.get("type") and d.get("type") not in found:
                found.append(d.get("type"))
    return found


class Libvirt(object):
    def __init__(self, uri, run):
        if not HAS_LIBVIRT:
            raise AdapterError("python3-libvirt is not installed on the host")
        libvirt.registerErrorHandler(_silence, None)
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as e:
            raise AdapterError("cannot connect to %s: %s" % (uri, e))
        self.run = run  # run(argv) -> (rc, out, err)

    # --- host -------------------------------------------------------------------------------------
    def host_facts(self):
        info = self.conn.getInfo()
        return {"memory_mib": int(info[1]), "cpus": int(info[2]),
                "domain_types": domain_types(self.conn.getCapabilities())}

    # --- domains ----------------------------------------------------------------------------------
    def lookup(self, name):
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError:
            return None

    @staticmethod
    def inactive_xml(dom):
        return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)

    @staticmethod
    def live_xml(dom):
        return dom.XMLDesc(0)

    @staticmethod
    def is_active(dom):
        return bool(dom.isActive())

    @staticmethod
    def autostart(dom):
        return bool(dom.autostart())

    def define(self, xml):
        try:
            return self.conn.defineXML(xml)
        except libvirt.libvirtError as e:
            raise AdapterError("libvirt refused the domain XML: %s" % e)

    @staticmethod
    def set_autostart(dom, value):
        dom.setAutostart(1 if value else 0)

    @staticmethod
    def start(dom):
        try:
            dom.create()
        except libvirt.libvirtError as e:
            raise AdapterError("cannot start %s: %s" % (dom.name(), e))

    @staticmethod
    def stop(dom, timeout):
        """ACPI shutdown, then power off after ``timeout`` seconds."""
        if not dom.isActive():
            return
        try:
            dom.shutdown()
        except libvirt.libvirtError:
            pass
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not dom.isActive():
                return
            time.sleep(0.5)
        if dom.isActive():
            dom.destroy()

    @staticmethod
    def undefine(dom):
        flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                 | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        dom.undefineFlags(flags)

    @staticmethod
    def volume_refs(xml_text):
        """(pool, volume) of every volume disk of a domain."""
        out = []
        for d in ET.fromstring(xml_text).findall("devices/disk"):
            s = d.find("source")
            if d.get("type") == "volume" and s is not None and d.get("device") == "disk":
                out.append((s.get("pool"), s.get("volume")))
        return out

    # --- storage ----------------------------------------------------------------------------------
    def pool(self, name):
        try:
            p = self.conn.storagePoolLookupByName(name)
        except libvirt.libvirtError:
            raise AdapterError("storage pool %r does not exist (the hypervisor role defines 'azb')" % name)
        if not p.isActive():
            raise AdapterError("storage pool %r is not running" % name)
        return p

    def volume(self, pool, name):
        try:
            return self.pool(pool).storageVolLookupByName(name)
        except libvirt.libvirtError:
            return None

    def image_size(self, path):
        """Virtual size of an image file (a base image), or None when it cannot be read."""
        rc, out, _err = self.run(["qemu-img", "info", "-U", "--output=json", path])
        if rc != 0:
            return None
        try:
            return int(json.loads(out)["virtual-size"])
        except (ValueError, KeyError):
            return None

    @staticmethod
    def capacity(vol):
        return int(vol.info()[1])

    def create_volume(self, pool, xml):
        try:
            return self.pool(pool).createXML(xml, 0)
        except libvirt.libvirtError as e:
            raise AdapterError("cannot create volume: %s" % e)

    @staticmethod
    def resize_volume(vol, capacity):
        vol.resize(capacity, 0)

    def delete_volume(self, pool, name):
        vol = self.volume(pool, name)
        if vol is not None:
            vol.delete(0)

    def write_seed(self, pool, name, files):
        """Build a NoCloud ISO (label cidata) from ``files`` and put it into the pool as ``name``."""
        tool = shutil.which("genisoimage") or shutil.which("mkisofs") or shutil.which("xorrisofs")
        if not tool:
            raise AdapterError("cloud_init needs genisoimage (or xorriso) on the host")
        tmp = tempfile.mkdtemp(prefix="azb-seed-")
        try:
            for fname, content in files.items():
                path = os.path.join(tmp, fname)
                with open(path, "w") as f:
                    f.write(content)
                os.chmod(path, 0o600)
            iso = os.path.join(tmp, "seed.iso")
            rc, _out, err = self.run([tool, "-quiet", "-output", iso, "-volid", "cidata", "-joliet",
                                      "-rock"] + [os.path.join(tmp, n) for n in sorted(files)])
            if rc != 0:
                raise AdapterError("seed ISO: %s" % err)
            p = self.pool(pool)
            path = os.path.join(ET.fromstring(p.XMLDesc(0)).find("target/path").text, name)
            shutil.copyfile(iso, path)
            os.chmod(path, 0o600)
            p.refresh(0)
        finally:
            shutil.rmtree(tmp, True)

    # --- snapshots --------------------------------------------------------------------------------
    @staticmethod
    def snapshots(dom):
        """[{name, created, state}] oldest first."""
        out = []
        for s in dom.listAllSnapshots(0):
            x = ET.fromstring(s.getXMLDesc(0))
            out.append({"name": s.getName(), "created": int(x.findtext("creationTime") or 0),
                        "state": x.findtext("state")})
        return sorted(out, key=lambda s: (s["created"], s["name"]))

    @staticmethod
    def snapshot_create(dom, name, description):
        root = ET.Element("domainsnapshot")
        ET.SubElement(root, "name").text = name
        ET.SubElement(root, "description").text = description or "azb_vm snapshot"
        try:
            dom.snapshotCreateXML(ET.tostring(root, encoding="unicode"), 0)
        except libvirt.libvirtError as e:
            raise AdapterError("snapshot %s: %s" % (name, e))

    @staticmethod
    def snapshot_revert(dom, name):
        try:
            dom.revertToSnapshot(dom.snapshotLookupByName(name, 0), 0)
        except libvirt.libvirtError as e:
            raise AdapterError("revert to %s: %s" % (name, e))

    @staticmethod
    def snapshot_delete(dom, name):
        dom.snapshotLookupByName(name, 0).delete(0)

    # --- tc on taps -------------------------------------------------------------------------------
    def link_exists(self, dev):
        return os.path.exists("/sys/class/net/%s" % dev)

    def tc_live(self, tap):
        ifb = tcmod.ifb_name(tap)
        out = []
        for argv in (["tc", "class", "show", "dev", tap], ["tc", "class", "show", "dev", ifb],
                     ["tc", "filter", "show", "dev", tap, "parent", "ffff:"]):
            if argv[4] == ifb and not self.link_exists(ifb):
                out.append("")
                continue
            rc, so, _se = self.run(argv)
            out.append(so if rc == 0 else "")
        return tcmod.live_limits(out[0], out[1], out[2], ifb)

    def tc_apply(self, tap, limits):
        for argv in tcmod.apply_commands(tap, limits):
            optional = argv[0].startswith("-")
            argv = [argv[0].lstrip("-")] + argv[1:]
            rc, _so, se = self.run(argv)
            if rc != 0 and not optional:
                raise AdapterError("%s: %s" % (" ".join(argv), se.strip()))


def run_command(argv):
    """Default runner when no AnsibleModule is at hand (the hook)."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       check=False)
    return p.returncode, p.stdout, p.stderr
