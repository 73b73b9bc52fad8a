"""The fleet_report callback loads the collection's filters in the controller's main process, so the
workers Ansible forks inherit them. Checked in a fresh interpreter with Ansible's collection finder
over this tree (as ansible-playbook sets it up): after the call, every filter file of the collection
is imported; before it, none is."""
from tests.unit import fresh_interpreter

PROBE = r"""
names = ["ansible_collections.azblink.nfv.plugins.filter." + f[:-3]
         for f in os.listdir(os.path.join(sys.argv[1], "plugins", "filter")) if f.endswith(".py") and f != "__init__.py"]
before = [n for n in names if n in sys.modules]
from ansible_collections.azblink.nfv.plugins.plugin_utils.filter_preload import preload_collection_filters
ok = preload_collection_filters()
print(len(names), before, ok, sorted(n.rsplit(".", 1)[1] for n in names if n not in sys.modules))
"""


def test_the_preload_imports_every_filter_file_of_the_collection():
    res = fresh_interpreter.run(PROBE)
    assert res.returncode == 0, res.stderr[-2000:]
    count, before, ok, missing = res.stdout.strip().split(" ", 3)
    assert int(count) >= 4 and before == "[]"
    assert ok == "True" and missing == "[]", res.stdout
