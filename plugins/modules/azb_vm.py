#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_vm
short_description: One libvirt VM, declared (disks, NICs on zone bridges, pinning, limits, snapshots)
version_added: 0.1.0
description:
  - Defines, starts, stops or removes one libvirt domain so that it matches the options. Idempotent
    against the live domain; the normalised inactive XML of the domain is compared with the rendered
    one, so libvirt's own defaults (PCI addresses, controllers, expanded machine types) never count
    as a change. The UUID of an existing domain is kept; a new domain gets a UUID derived from its
    name, and a NIC without a MAC gets one derived from the VM name and its index.
  - The diff (with C(--diff)) is the normalised domain XML before and after.
  - C(state=rendered) returns the domain XML without connecting to anything.
  - Per-NIC rate limits are applied with tc (HTB on the tap device for traffic to the guest, an IFB
    device with HTB for traffic from it) where the kernel lacks the sfq qdisc that libvirt's
    C(<bandwidth>) needs, and with C(<bandwidth>) where it has it (see O(rate_limit_backend)).
    The limits are also stored in the domain's metadata, so the libvirt hook installed by the
    C(azblink.nfv.workloads) role re-applies them whenever the VM starts (for example at boot).
  - Bad input is rejected before anything changes, with the field path (for example
    C(nics[1].mac) with the reason C(duplicate MAC 52:54:00:12:34:56)); this includes memory beyond the host, pinning to
    CPUs the host does not have and shrinking a disk.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
  - azblink.nfv.prerequisites
options:
  name:
    description: Domain name. One of O(name) or O(vms) is required.
    type: str
  vms:
    description:
      - The list form, many VMs in one call, each element the options of one VM as for one call
        (O(name), O(state), O(memory), O(nics) and so on; not O(snapshot)). Every element is checked
        first, with the field path (for example C(vms[2].nics[0].mac)), and the host limits of every VM
        before anything changes; then the VMs are converged in order on one libvirt connection, each
        started without waiting for its guest, so the next one is defined while the previous boots.
      - The per-VM results are in RV(vms); RV(actions) names the VM of each action.
      - One module run for N VMs where a loop pays N (the workloads role uses this form).
    type: list
    elements: dict
  state:
    description:
      - C(running) defines and starts, C(stopped) defines and shuts down (ACPI, then power off after
        O(shutdown_timeout)), C(present) defines and leaves the run state alone.
      - C(absent) removes the domain; disks are kept unless O(purge=true).
      - C(rendered) returns the domain XML and touches nothing.
    type: str
    choices: [running, stopped, present, absent, rendered]
    default: running
  uri:
    description: libvirt connection URI.
    type: str
    default: qemu:///system
  uuid:
    description: Fixed UUID. By default an existing domain keeps its own, a new one gets one from its name.
    type: str
  os_type:
    description: C(windows) renders UEFI, Hyper-V enlightenments, localtime RTC and the virtio driver ISO.
    type: str
    choices: [linux, windows]
    default: linux
  firmware:
    description: C(bios) or C(uefi) (libvirt firmware auto-selection). Windows guests need C(uefi).
    type: str
    choices: [bios, uefi]
  machine:
    description: QEMU machine type; C(q35) and C(pc) compare equal to libvirt's expanded versions.
    type: str
    default: q35
  vcpus:
    description: Number of virtual CPUs.
    type: int
    default: 1
  memory:
    description: Memory in MiB. More than the host has is refused.
    type: int
    default: 512
  pool:
    description: Storage pool of new disks, overlays and the cloud-init seed.
    type: str
    default: azb
  boot:
    description: Direct kernel boot (Linux). Without it the VM boots from its first disk.
    type: dict
    suboptions:
      kernel:
        description: Kernel image path on the host.
        type: path
      initrd:
        description: Initramfs path on the host.
        type: path
      cmdline:
        description: Kernel command line.
        type: str
  disks:
    description:
      - Disks in order; targets are C(vda), C(vdb)... per bus. Give one of O(disks[].size) alone (a
        new qcow2 volume), O(disks[].base) (a copy-on-write overlay of a base image), O(disks[].volume)
        (an existing volume in the pool) or O(disks[].path) (an existing file or ISO).
      - A disk is never shrunk; a larger O(disks[].size) grows the volume.
    type: list
    elements: dict
    suboptions:
      size:
        description: Size with a binary unit (C(16M), C(20G)); a bare number is GiB.
        type: raw
      base:
        description: Base image of a copy-on-write qcow2 overlay.
        type: path
      volume:
        description: Existing volume in O(disks[].pool).
        type: str
      path:
        description: Existing file on the host.
        type: path
      name:
        description: Volume name of a new disk or overlay. Default C(<vm>-disk<index>.<format>).
        type: str
      pool:
        description: Storage pool. Default O(pool).
        type: str
      format:
        description: Image format.
        type: str
        choices: [qcow2, raw]
        default: qcow2
      bus:
        description: Disk bus. Default C(virtio), C(sata) for a cdrom.
        type: str
        choices: [virtio, sata, scsi]
      device:
        description: C(disk) or C(cdrom).
        type: str
        choices: [disk, cdrom]
        default: disk
      readonly:
        description: Attach read-only (cdroms always are).
        type: bool
      iotune:
        description:
          - I/O limits, libvirt C(<iotune>) names - C(total_bytes_sec), C(read_bytes_sec),
            C(write_bytes_sec), C(total_iops_sec), C(read_iops_sec), C(write_iops_sec).
        type: dict
  nics:
    description: Network interfaces, each on a bridge (the workloads role resolves zone names to bridges).
    type: list
    elements: dict
    suboptions:
      bridge:
        description: Host bridge, for example C(br3).
        type: str
        required: true
      mac:
        description: MAC address. Default derived from the VM name and the NIC index (stable).
        type: str
      model:
        description: NIC model.
        type: str
        choices: [virtio, e1000e, e1000, rtl8139]
        default: virtio
      rate_limit:
        description:
          - Rate limit of this NIC, C(inbound_kbit) (to the guest), C(outbound_kbit) (from the guest),
            optional C(burst_kb).
        type: dict
  rate_limit_backend:
    description:
      - C(tc) shapes the tap device with HTB (and IFB for the guest's outbound traffic).
      - C(libvirt) renders C(<bandwidth>) (needs the sfq qdisc in the kernel).
      - C(auto) probes the kernel for sfq in a throwaway network namespace and picks one.
    type: str
    choices: [auto, tc, libvirt]
    default: auto
  virt_type:
    description:
      - The libvirt domain type. C(kvm) runs the VM with the CPU's hardware virtualisation, C(qemu)
        emulates it (TCG, many times slower).
      - C(auto) asks the box's libvirt which it offers and takes C(kvm) where it can. A VM defined
        emulated under C(auto) comes with a warning (no /dev/kvm, or virtualisation off in the firmware).
      - C(kvm) on a box without it fails before anything changes.
      - With O(state=rendered) there is no box to ask, so C(auto) renders C(kvm).
    type: str
    choices: [auto, kvm, qemu]
    default: auto
  cpu_mode:
    description:
      - The guest's CPU. C(host-passthrough) gives it the host's own CPU, every feature included (what
        VNFs built for SSE4.2/AVX need). C(host-model) gives a model libvirt derives from the host's,
        which can migrate. C(default) leaves the hypervisor's default model.
      - C(auto) is C(host-passthrough) under KVM and C(default) when emulated, since TCG cannot pass
        the host's CPU through.
    type: str
    choices: [auto, host-passthrough, host-model, default]
    default: auto
  vcpu_pins:
    description: Host cpuset per vCPU, in vCPU order (C(vcpupin)), for example C(["2", "3"]).
    type: list
    elements: str
  emulator_pin:
    description: Host cpuset of the emulator threads (C(emulatorpin)).
    type: str
  autostart:
    description: Start the VM when the host boots.
    type: bool
    default: false
  watchdog:
    description: Watchdog device and the action on expiry.
    type: dict
    suboptions:
      model:
        description: Device model.
        type: str
        choices: [i6300esb, ib700, itco]
        default: i6300esb
      action:
        description: What QEMU does when the guest stops feeding it.
        type: str
        choices: [reset, shutdown, poweroff, pause, none, dump, inject-nmi]
        default: reset
  serial_console:
    description: A serial console (C(virsh console NAME)).
    type: bool
    default: true
  cloud_init:
    description:
      - A NoCloud seed (ISO volume C(<vm>-cidata.iso), label C(cidata)) for Linux cloud images, written
        once when missing. Needs C(genisoimage) on the host.
    type: dict
    suboptions:
      user:
        description: User to create.
        type: str
        default: azb
      ssh_authorized_keys:
        description: Public keys of that user.
        type: list
        elements: str
      password_hash:
        description: Crypted password of that user (never returned).
        type: str
      address:
        description: Static IPv4 CIDR of the first NIC; DHCP without it.
        type: str
      gateway:
        description: Default gateway with O(cloud_init.address).
        type: str
      dns:
        description: DNS servers with O(cloud_init.address).
        type: list
        elements: str
      hostname:
        description: Guest hostname. Default the VM name.
        type: str
  windows:
    description: Windows guest options (with O(os_type=windows)).
    type: dict
    suboptions:
      virtio_iso:
        description: virtio-win driver ISO attached as a cdrom.
        type: path
        default: /usr/share/virtio-win/virtio-win.iso
      hyperv:
        description: Hyper-V enlightenments and the hypervclock timer.
        type: bool
        default: true
      tpm:
        description: An emulated TPM 2.0 (needs swtpm on the host).
        type: bool
        default: false
  snapshot:
    description:
      - A snapshot operation on the existing domain instead of converging its definition. Snapshots are
        internal (qcow2) and include the memory state of a running VM, so a revert restores disk and
        run state.
      - C(create) is idempotent by name; with O(snapshot.keep) the oldest other snapshots are deleted
        so that at most that many remain. C(revert) always reverts. C(list) only lists.
    type: dict
    suboptions:
      name:
        description: Snapshot name.
        type: str
      action:
        description: What to do.
        type: str
        choices: [create, revert, delete, list]
        default: create
      keep:
        description: Retention after C(create).
        type: int
      description:
        description: Snapshot description.
        type: str
  purge:
    description: With O(state=absent), also delete the domain's volumes in the pool.
    type: bool
    default: false
  restart_on_change:
    description:
      - Restart a running VM whose definition changed. Otherwise the change applies at its next start
        and RV(pending_restart) is true.
    type: bool
    default: false
  shutdown_timeout:
    description: Seconds to wait for an ACPI shutdown before powering off.
    type: int
    default: 60
requirements:
  - python3-libvirt on the host (not for O(state=rendered))
"""

EXAMPLES = r"""
- name: A lab guest on the office bridge, rate limited, pinned, with a data disk
  azblink.nfv.azb_vm:
    name: web1
    memory: 192
    boot:
      kernel: /var/lib/azblink/lab-guest/vmlinuz
      initrd: /var/lib/azblink/lab-guest/initrd.img
      cmdline: console=ttyS0,115200 quiet azb.ip=10.3.0.20/24 azb.gw=10.3.0.1
    disks:
      - size: 16M
    nics:
      - bridge: br3
        rate_limit: {inbound_kbit: 20000, outbound_kbit: 20000}
    vcpu_pins: ["1"]
    autostart: true
    watchdog: {action: reset}

- name: What would a Windows desktop look like (no connection)
  azblink.nfv.azb_vm:
    name: desk1
    state: rendered
    os_type: windows
    vcpus: 2
    memory: 4096
    disks:
      - size: 60G
        bus: sata
    nics:
      - bridge: br4
  register: plan

- name: Snapshot before a change, keep three
  azblink.nfv.azb_vm:
    name: web1
    snapshot: {name: pre-upgrade, keep: 3}

- name: Roll back
  azblink.nfv.azb_vm:
    name: web1
    snapshot: {name: pre-upgrade, action: revert}

- name: Remove a VM and its volumes
  azblink.nfv.azb_vm:
    name: web1
    state: absent
    purge: true
"""

RETURN = r"""
prerequisites:
  description: What the O(prerequisites) pass did (or would do, in check mode), in the keys M(azblink.nfv.azb_files) returns.
  returned: when O(prerequisites) is given and the module converges
  type: dict
  sample: {"changed_paths": [], "changes": {}, "installed_packages": ["ulogd2"], "changed_units": {"ulogd2.service": ["start"]}}
vms:
  description: With O(vms), one result per VM in order, the keys of the single form plus C(name) and C(changed).
  returned: with O(vms)
  type: list
  elements: dict
xml:
  description: The rendered domain XML (desired state).
  returned: unless state is absent or a snapshot operation is asked
  type: str
uuid:
  description: Domain UUID.
  returned: unless state is absent or a snapshot operation is asked
  type: str
  sample: 0b0c2b6e-7f52-5a43-a1d0-5b8f2b7e7c11
macs:
  description: MAC address of each NIC, in order.
  returned: unless state is absent or a snapshot operation is asked
  type: list
  elements: str
  sample: ["52:54:00:3c:91:0a"]
taps:
  description: Host tap device of each NIC, in order (fixed names, so tc and probes can find them).
  returned: unless state is absent or a snapshot operation is asked
  type: list
  elements: str
  sample: ["az1f3a9c2en0"]
actions:
  description: What was done (or, in check mode, would be done), in order; with O(vms) each prefixed with the name of its VM and a colon.
  returned: always
  type: list
  elements: str
  sample: ["create_volume web1-disk0.qcow2", "define", "autostart on", "start", "tc az1f3a9c2en0"]
rate_limit_backend:
  description: The rate limit implementation in use (C(tc) or C(libvirt)).
  returned: unless state is absent or a snapshot operation is asked
  type: str
virt_type:
  description: The domain type the VM is defined with (C(kvm) or C(qemu)), O(virt_type) resolved on the box.
  returned: unless state is absent or a snapshot operation is asked
  type: str
  sample: kvm
pending_restart:
  description: The definition changed while the VM was running; it applies at the next start.
  returned: unless state is absent or a snapshot operation is asked
  type: bool
snapshots:
  description: Snapshots of the domain after the run, oldest first.
  returned: when connected and the domain exists
  type: list
  elements: dict
  sample: [{"name": "pre-upgrade", "created": 1763862000, "state": "running"}]
"""

from ansible_collections.azblink.nfv.plugins.module_utils import prerequisites
from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.vm import model
from ansible_collections.azblink.nfv.plugins.module_utils.vm.runner import ARGUMENT_SPEC, run, run_many


def main():
    module = AuditedModule(argument_spec=dict(ARGUMENT_SPEC, **prerequisites.ARGUMENT_SPEC), supports_check_mode=True,
                           required_one_of=[("name", "vms")], mutually_exclusive=[("name", "vms")])
    try:
        if module.params["vms"] is not None:
            result = run_many(module.params["vms"], module.run_command, module.check_mode, module._diff,
                              before_changes=module.converge_prerequisites)
        else:
            result = run(module.params, module.run_command, module.check_mode, module._diff,
                         before_changes=module.converge_prerequisites)
    except model.SpecError as e:
        module.fail_json(msg=str(e), errors=["%s: %s" % err for err in e.errors])
    except Exception as e:  # adapter errors carry libvirt's message
        module.fail_json(msg="%s: %s" % (type(e).__name__, e))
    for warning in result.pop("warnings", []):   # exit_json(warnings=) is deprecated in ansible-core 2.19
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
