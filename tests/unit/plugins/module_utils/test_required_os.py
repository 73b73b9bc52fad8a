"""azb_files' require_os: the router role refuses a box that is not Debian 12 or later before
anything changes (os-release read on the box)."""
from ansible_collections.azblink.nfv.plugins.module_utils import required_os

# os-release fields as Python's reader (platform.freedesktop_os_release) returns them.
BOOKWORM = {"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "NAME": "Debian GNU/Linux", "VERSION_ID": "12", "ID": "debian"}
JAMMY = {"PRETTY_NAME": "Ubuntu 22.04.4 LTS", "VERSION_ID": "22.04", "ID": "ubuntu", "ID_LIKE": "debian"}
BULLSEYE = {"PRETTY_NAME": "Debian GNU/Linux 11 (bullseye)", "VERSION_ID": "11", "ID": "debian"}
SID = {"PRETTY_NAME": "Debian GNU/Linux trixie/sid", "ID": "debian"}
ROCKY = {"PRETTY_NAME": "Rocky Linux 9.3 (Blue Onyx)", "VERSION_ID": "9.3", "ID": "rocky", "ID_LIKE": "rhel centos fedora"}
NEED = {"family": "debian", "min_major_version": 12, "required_by": "azblink.nfv"}


def test_debian_12_passes():
    assert required_os.refusal(BOOKWORM, NEED) is None
    assert required_os.refusal(dict(BOOKWORM, VERSION_ID="13"), NEED) is None


def test_another_family_is_refused_by_name():
    why = required_os.refusal(ROCKY, NEED)
    assert why == "azblink.nfv supports debian 12 or later; this host is Rocky Linux 9.3 (Blue Onyx)"


def test_an_older_or_unversioned_release_of_the_family_is_refused():
    assert "Debian GNU/Linux 11 (bullseye)" in required_os.refusal(BULLSEYE, NEED)
    assert "trixie/sid" in required_os.refusal(SID, NEED)


def test_id_like_counts_as_the_family_but_the_version_is_its_own():
    # Ubuntu is Debian-like, and its 22.04 is not Debian 12: the version is compared as written.
    assert required_os.refusal(JAMMY, {"family": "debian"}) is None
    assert required_os.refusal(JAMMY, NEED) is None  # 22 >= 12: a family check, no more


def test_no_os_release_is_refused(monkeypatch):
    def missing():
        raise OSError("no os-release")
    monkeypatch.setattr(required_os.platform, "freedesktop_os_release", missing)
    assert "unknown (no os-release)" in required_os.refusal(required_os.read(), NEED)
