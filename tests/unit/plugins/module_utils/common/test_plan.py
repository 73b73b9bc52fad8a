"""The file part of every plan: only differing files are written, only present ones removed, and
the diff keeps what each held before."""
from ansible_collections.azblink.nfv.plugins.module_utils.common.plan import FilePlan


class Box(object):
    def __init__(self, files):
        self.files = dict(files)
        self.written = []

    def read(self, path):
        return self.files.get(path)

    def write(self, path, content):
        self.written.append(path)
        self.files[path] = content


def test_only_differing_files_are_planned_with_what_they_held():
    box = Box({"/etc/a": "same\n", "/etc/b": "old\n"})
    p = FilePlan()
    p.want_files(box, {"/etc/a": "same\n", "/etc/b": "new\n", "/etc/c": "fresh\n"})
    assert p.files_write == {"/etc/b": "new\n", "/etc/c": "fresh\n"}
    assert p.files_old == {"/etc/b": "old\n", "/etc/c": None}


def test_only_present_files_are_removed_in_the_order_given():
    box = Box({"/etc/z": "z\n", "/etc/a": "a\n"})
    p = FilePlan()
    p.drop_files(box, ["/etc/z", "/etc/missing", "/etc/a"])
    assert p.files_stale == ["/etc/z", "/etc/a"] and p.files_old == {"/etc/z": "z\n", "/etc/a": "a\n"}


def test_write_files_writes_the_plan_in_path_order_then_nothing_differs():
    box = Box({})
    p = FilePlan()
    p.want_files(box, {"/etc/b": "b\n", "/etc/a": "a\n"})
    p.write_files(box)
    assert box.written == ["/etc/a", "/etc/b"]
    again = FilePlan()
    again.want_files(box, {"/etc/b": "b\n", "/etc/a": "a\n"})
    assert again.files_write == {}
