"""azb_box_facts reads dpkg's answer as site.yml's dpkg-query task did: only installed packages."""
from ansible_collections.azblink.nfv.plugins.module_utils.dpkg import DPKG_QUERY, installed_packages


def test_only_installed_packages_are_kept():
    out = ("installed nftables\nconfig-files ulogd2\nnot-installed libvirt0\ninstalled qemu-system-x86\n"
           "half-installed frr\n\n")
    assert installed_packages(out) == ["nftables", "qemu-system-x86"]
    assert installed_packages("") == []


def test_dpkg_is_asked_for_status_then_name():
    assert DPKG_QUERY == ["dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package}\\n"]
