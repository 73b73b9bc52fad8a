"""What Ansible bundles into each module's AnsiballZ payload: every module_utils file the module
imports, found by reading the code (an import inside a function counts). Ansible's fact collectors
are a package of some 76 files (370 KB): bundled, they double the payload and cost 0.1-0.15 CPU-s
per module and run to build (bench/ansiballz_bench.py). Only the modules that learn facts may
import them; the others reach dpkg's database through module_utils/dpkg.py."""
import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
OURS = "ansible_collections.azblink.nfv.plugins."
FACTS = "ansible.module_utils.facts"
# azb_box_facts learns the facts; azb_files learns them with `facts` (the router's call).
LEARN_FACTS = {"azb_box_facts", "azb_files"}
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(PLUGINS, "modules")) if f.endswith(".py"))


def imports(path):
    """The modules `path` imports, anywhere in its code."""
    with open(path) as fh:
        tree = ast.parse(fh.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield "%s.%s" % (node.module, alias.name)


def reachable(module):
    """Every module name the module's own code and our module_utils it imports reach."""
    seen, todo, names = set(), [os.path.join(PLUGINS, "modules", module + ".py")], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports(path):
            names.add(name)
            if name.startswith(OURS):
                rel = name[len(OURS):].replace(".", os.sep)
                for candidate in (rel + ".py", os.path.join(rel, "__init__.py")):
                    if os.path.isfile(os.path.join(PLUGINS, candidate)):
                        todo.append(os.path.join(PLUGINS, candidate))
    return names


@pytest.mark.parametrize("module", [m for m in MODULES if m not in LEARN_FACTS])
def test_a_module_that_learns_no_facts_does_not_bundle_the_fact_collectors(module):
    bundled = sorted(n for n in reachable(module) if n == FACTS or n.startswith(FACTS + "."))
    assert not bundled, "%s imports %s (Ansible bundles the whole facts package)" % (module, bundled[0])


def test_the_fact_learning_modules_do_reach_the_collectors():
    # the walk itself works: it finds the collectors where they are imported
    for module in LEARN_FACTS:
        assert any(n.startswith(FACTS + ".") for n in reachable(module)), module
