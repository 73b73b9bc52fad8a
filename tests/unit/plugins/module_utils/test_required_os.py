"""azb_files' require_os: the router role refuses a box that is not Debian 12 or later before
anything changes (os-release read on the box)."""
from ansible_collections.azblink.nfv.plugins.module_utils import required_os

BOOKWORM = '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
# a comment
ID=debian
'''
JAMMY = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n'
BULLSEYE = 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nID=debian\n'
SID = 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n'
ROCKY = 'PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\nVERSION_ID="9.3"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
NEED = {"family": "debian", "min_major_version": 12, "required_by": "azblink.nfv"}


def test_parse_reads_quoted_values_and_skips_comments():
    assert required_os.parse(BOOKWORM) == {"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "NAME": "Debian GNU/Linux",
                                           "VERSION_ID": "12", "ID": "debian"}


def test_debian_12_passes():
    assert required_os.refusal(required_os.parse(BOOKWORM), NEED) is None
    assert required_os.refusal(required_os.parse(BOOKWORM.replace('"12"', '"13"')), NEED) is None


def test_another_family_is_refused_by_name():
    why = required_os.refusal(required_os.parse(ROCKY), NEED)
    assert why == "azblink.nfv supports debian 12 or later; this host is Rocky Linux 9.3 (Blue Onyx)"


def test_an_older_or_unversioned_release_of_the_family_is_refused():
    assert "Debian GNU/Linux 11 (bullseye)" in required_os.refusal(required_os.parse(BULLSEYE), NEED)
    assert "trixie/sid" in required_os.refusal(required_os.parse(SID), NEED)


def test_id_like_counts_as_the_family_but_the_version_is_its_own():
    # Ubuntu is Debian-like, and its 22.04 is not Debian 12: the version is compared as written.
    assert required_os.refusal(required_os.parse(JAMMY), {"family": "debian"}) is None
    assert required_os.refusal(required_os.parse(JAMMY), NEED) is None  # 22 >= 12: a family check, no more


def test_no_os_release_is_refused():
    assert "unknown (no os-release)" in required_os.refusal(required_os.read(paths=("/nonexistent",)), NEED)
