#!/usr/bin/env python
# azblink.nfv workloads role: libvirt qemu hook, run by /etc/libvirt/hooks/qemu.d/azb-vm-tc (a sh wrapper).
# libvirt runs it as `azb-vm-tc DOMAIN OPERATION SUBOP EXTRA` with the domain XML on stdin.
# On "started" it shapes the VM's tap devices from the rate limits azb_vm stored in the domain's
# metadata (the same tc code azb_vm uses, /usr/local/lib/azblink/azb_vm_tc.py); on "release" it removes
# the IFB devices. It must not call back into libvirt (that would deadlock the daemon).
"""libvirt hook: per-NIC tc shaping of azb VMs at every start."""
import subprocess
import sys
import syslog
import xml.etree.ElementTree as ET

sys.path.insert(0, "/usr/local/lib/azblink")
import azb_vm_tc as tc  # noqa: E402  pylint: disable=import-error,wrong-import-position


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("started", "release"):
        return 0
    try:
        wanted = tc.rate_limits_from_xml(sys.stdin.read())
    except ET.ParseError:
        return 0
    for tap, lim in sorted(wanted.items()):
        if sys.argv[2] == "release":
            subprocess.run(["ip", "link", "del", tc.ifb_name(tap)], check=False, capture_output=True)
            continue
        for argv in tc.apply_commands(tap, lim):
            optional = argv[0].startswith("-")
            argv = [argv[0].lstrip("-")] + argv[1:]
            p = subprocess.run(argv, check=False, capture_output=True, text=True)
            if p.returncode and not optional:
                syslog.syslog(syslog.LOG_ERR, "azb-vm-tc %s %s: %s" % (sys.argv[1], " ".join(argv), p.stderr.strip()))
        syslog.syslog(syslog.LOG_INFO, "azb-vm-tc %s: %s shaped %s" % (sys.argv[1], tap, lim))
    return 0


if __name__ == "__main__":
    sys.exit(main())
