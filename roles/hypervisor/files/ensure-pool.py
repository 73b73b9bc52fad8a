#!/usr/bin/env python
"""Make a libvirt dir storage pool exist, be active and autostart; print "changed: ..." per change.

With --check, report what would change and change nothing.
"""
import sys
from xml.sax.saxutils import escape

import libvirt


def main():
    name, path = sys.argv[1], sys.argv[2]
    check = "--check" in sys.argv[3:]
    conn = libvirt.open("qemu:///system")
    try:
        pool = conn.storagePoolLookupByName(name)
    except libvirt.libvirtError:
        pool = None
    if pool is None:
        print(f"changed: define pool {name} at {path}")
        if check:
            return
        xml = (f"<pool type='dir'><name>{escape(name)}</name>"
               f"<target><path>{escape(path)}</path></target></pool>")
        pool = conn.storagePoolDefineXML(xml, 0)
    elif f"<path>{escape(path)}</path>" not in pool.XMLDesc(0):
        sys.exit(f"pool {name} exists with another path; remove it or choose another name")
    if not pool.isActive():
        print(f"changed: start pool {name}")
        if not check:
            pool.create(0)
    if not pool.autostart():
        print(f"changed: autostart pool {name}")
        if not check:
            pool.setAutostart(1)


if __name__ == "__main__":
    main()
