"""The adapter's one pure part: which domain types libvirt's capabilities offer (libvirt 9.0's output,
trimmed; no libvirt needed)."""
from ansible_collections.azblink.nfv.plugins.module_utils.vm import adapter

CAPS = """<capabilities>
  <host><cpu><arch>x86_64</arch></cpu></host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='i686'><emulator>/usr/bin/qemu-system-i386</emulator><domain type='qemu'/><domain type='kvm'/></arch>
  </guest>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <domain type='qemu'/>
%s
    </arch>
  </guest>
</capabilities>"""


def test_kvm_is_offered_where_libvirt_lists_it_for_x86_64():
    assert adapter.domain_types(CAPS % "      <domain type='kvm'/>") == ["qemu", "kvm"]


def test_without_dev_kvm_only_qemu_is_offered():
    # the lab's appliances: libvirtd sees no /dev/kvm; i686 KVM elsewhere does not count
    assert adapter.domain_types(CAPS % "") == ["qemu"]
