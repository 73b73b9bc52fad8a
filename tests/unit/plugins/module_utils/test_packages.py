"""azb_files' packages: which are missing is read from dpkg-query's answer (pure), the cache is
refreshed only when stale, and names that are not Debian package names are refused by field."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils import packages

DPKG = "installed nftables\ninstalled iproute2\nconfig-files ulogd2\nnot-installed conntrack\ninstalled libc6\n"


def test_missing_keeps_the_order_once_each_and_reads_only_installed():
    assert packages.missing(["nftables", "ulogd2", "conntrack", "ulogd2", "qrencode"], DPKG) == ["ulogd2", "conntrack", "qrencode"]
    assert packages.missing(["nftables", "iproute2"], DPKG) == []
    # an architecture qualifier names the same package
    assert packages.missing(["libc6:amd64"], DPKG) == []


@pytest.mark.parametrize("mtimes, fresh", [([None, None], False), ([100.0, None], True), ([None, 100.0], True),
                                           ([10.0, 50.0], False), ([10.0, 75.0], True)])
def test_the_cache_is_fresh_by_its_newest_stamp(mtimes, fresh):
    # now 130 s, valid 60 s: a stamp newer than 70 s is fresh
    assert packages.cache_is_fresh(mtimes, 60, 130.0) is fresh


@pytest.mark.parametrize("names, field", [(["nftables", "Bad Name"], "packages[1]"), ([""], "packages[0]"),
                                          (["ok", "x;rm -rf /"], "packages[1]"), (["-o"], "packages[0]")])
def test_a_bad_name_is_refused_with_its_field(names, field):
    with pytest.raises(ValueError, match=r"^%s: not a Debian package name" % field.replace("[", r"\[").replace("]", r"\]")):
        packages.check(names)


class FakeRun(object):
    def __init__(self, answers):
        self.calls, self.answers = [], answers

    def __call__(self, argv, data=None):
        self.calls.append(argv)
        return self.answers.get(argv[0], (0, "", ""))


def test_the_adapter_updates_a_stale_cache_then_installs_only_the_missing(monkeypatch):
    run = FakeRun({"dpkg-query": (1, DPKG, "dpkg-query: no packages found matching qrencode")})
    apt = packages.PackagesAdapter(run)
    assert apt.missing(["nftables", "qrencode"]) == ["qrencode"]
    monkeypatch.setattr(packages.PackagesAdapter, "_mtime", staticmethod(lambda path: None))
    apt.install(["qrencode"], 3600)
    assert [c[3:5] for c in run.calls[1:2]] == [["apt-get", "update"]] and run.calls[1][0] == "timeout"
    assert run.calls[2][:2] == ["apt-get", "install"]
    assert run.calls[-1][-2:] == ["--", "qrencode"]


def test_a_failed_install_names_the_packages(monkeypatch):
    run = FakeRun({"apt-get": (100, "", "E: Unable to locate package nosuch")})
    apt = packages.PackagesAdapter(run)
    monkeypatch.setattr(packages.time, "time", lambda: 1000.0)
    monkeypatch.setattr(packages.PackagesAdapter, "_mtime", staticmethod(lambda path: 990.0))
    with pytest.raises(packages.PackagesError, match="apt-get install nosuch failed: E: Unable to locate package nosuch"):
        apt.install(["nosuch"], 10 ** 9)


class Answers(object):
    """A run whose apt-get update answers from a list, one per call."""
    def __init__(self, update_rcs):
        self.calls, self.update_rcs = [], list(update_rcs)

    def __call__(self, argv, data=None):
        self.calls.append(argv)
        if "update" in argv:
            return self.update_rcs.pop(0), "", "E: gone" if self.update_rcs == [] else ""
        return 0, "", ""


def test_a_hung_refresh_is_cut_off_and_tried_once_more():
    run = Answers([124, 0])
    packages.PackagesAdapter(run).update()
    assert len(run.calls) == 2 and all(c[:3] == ["timeout", "--kill-after=10", str(packages.UPDATE_SECONDS)] for c in run.calls)


def test_a_refresh_that_hangs_every_time_fails_saying_so():
    run = Answers([124, 137])
    with pytest.raises(packages.PackagesError, match="did not finish within 180 s, 2 times"):
        packages.PackagesAdapter(run).update()


def test_a_refresh_that_fails_otherwise_is_not_retried():
    run = Answers([100])
    with pytest.raises(packages.PackagesError, match="apt-get update failed: E: gone"):
        packages.PackagesAdapter(run).update()
    assert len(run.calls) == 1
