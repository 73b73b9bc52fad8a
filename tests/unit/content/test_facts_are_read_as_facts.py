"""The facts the collection's modules return are read under ansible_facts, never as top-level
variables: ansible.cfg does not inject facts as variables (Ansible copied and cleaned every box's facts
for each of its tasks), and a user's ansible.cfg that does must see the same site."""
import ast
import glob
import os
import re

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
READERS = ["roles/**/*.yml", "roles/**/*.j2", "playbooks/**/*.yml", "extensions/molecule/**/*.yml",
           "plugins/filter/*.py", "plugins/action/*.py", "plugins/plugin_utils/*.py"]


def _module_facts():
    """Every fact name a module returns: its RETURN's ansible_facts, and the keys of the dicts its code
    passes as ansible_facts."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "azb_*.py")):
        with open(path) as fh:
            src = fh.read()
        for node in ast.parse(src).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "RETURN":
                facts = (yaml.safe_load(node.value.value) or {}).get("ansible_facts") or {}
                names.update(facts.get("contains") or {})
        for body in re.findall(r'ansible_facts"?\s*[=:]\s*\{([^}]*)', src):
            names.update(re.findall(r'"(azb_\w+)"', body))
    return names


def test_the_modules_facts_are_known():
    facts = _module_facts()
    assert {"azb_installed_packages", "azb_vpn_public_keys", "azb_services_status", "memtotal_mb"} <= facts


def _bare_reads(lines, facts):
    """(line number, line) of each line that reads one of ``facts`` as a variable: a name outside
    ansible_facts[...]/ansible_facts.x, in code (a task's name is prose)."""
    bare = re.compile(r"(?<![\w'\".])(%s)\b" % "|".join(facts))
    for number, line in enumerate(lines, 1):
        code = line.split("#", 1)[0]
        if re.match(r"\s*-?\s*name:", code):
            continue
        if bare.search(code):
            yield number, line.strip()


def test_a_fact_read_as_a_variable_is_found():
    lines = ["- name: Learn the keys (azb_vpn_public_keys)", "  when:",
             "    - ansible_facts['azb_vpn_public_keys'] is not defined",
             "    - azb_vpn_public_keys is not defined"]
    assert list(_bare_reads(lines, ["azb_vpn_public_keys"])) == [(4, "- azb_vpn_public_keys is not defined")]


def test_no_reader_takes_a_modules_fact_for_a_variable():
    facts = sorted(name for name in _module_facts() if name.startswith("azb_"))
    found = []
    for pattern in READERS:
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if "/meta/" in path:
                continue  # argument specs: prose
            with open(path) as fh:
                found += ["%s:%d: %s" % (os.path.relpath(path, ROOT), n, text) for n, text in _bare_reads(fh, facts)]
    assert not found, "facts read as variables:\n" + "\n".join(found)
