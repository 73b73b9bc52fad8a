#!/bin/sh
# azblink.nfv workloads role: /etc/libvirt/hooks/qemu.d/azb-vm-tc. libvirt passes the domain XML on
# stdin; the Python hook shapes the VM's taps (tc) on "started" and removes IFB devices on "release".
exec /usr/bin/python3 /usr/local/lib/azblink/azb_vm_qemu_hook.py "$@"
