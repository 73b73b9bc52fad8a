"""Benchmark (not a test): what each module costs Ansible to build and ship, before any box is asked.

Ansible builds a module's AnsiballZ payload once per module and run (its cache lives in the run's
own temporary directory): it reads every module_utils file the module imports, recursively, and
zips them. The build is controller CPU on the critical path of a run's first call of each module
(a single box's converge, the first VM of a play), and the payload goes over SSH on every call of
every box. Side by side in one run: ansible.builtin.ping (Ansible's floor), this tree's modules,
and with --before REV the same modules at REV.

  .venv/bin/python -m bench.ansiballz_bench [--before REV] [--modules azb_vm azb_zone ...]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench import lablib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PY = os.path.join(REPO, ".venv", "bin", "python")
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("azb_fleet_") and f != "azb_validate_roles.py")


def measure(collections, modules):
    """In this process (Ansible's plugin loader is per process): build each module once, fresh."""
    import base64
    import io
    import re
    import zipfile

    from ansible.executor import module_common
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader, module_loader
    from ansible.template import Templar

    init_plugin_loader([collections])
    templar = Templar(loader=DataLoader())
    rows = []
    for name in ["ansible.builtin.ping"] + ["azblink.nfv." + m for m in modules]:
        ctx = module_loader.find_plugin_with_context(name)
        if not ctx.resolved:
            continue
        t0 = time.process_time()
        built = module_common.modify_module(
            module_name=ctx.resolved_fqcn, module_path=ctx.plugin_resolved_path, module_args={},
            templar=templar, task_vars={"ansible_python_interpreter": "/usr/bin/python3"},
            module_compression="ZIP_DEFLATED")  # ansible.cfg's default: what goes over SSH
        cpu = time.process_time() - t0
        data = built.b_module_data
        payload = max(re.findall(rb"'([A-Za-z0-9+/=]{1000,})'", data), key=len)
        files = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload))).infolist()
        rows.append({"module": name, "build_cpu_s": round(cpu, 3), "payload_kib": round(len(data) / 1024),
                     "files": len(files)})
    return rows


def run(label, collections, modules):
    tmp = tempfile.mkdtemp(prefix="azb-ansiballz-")
    try:
        env = dict(os.environ, ANSIBLE_LOCAL_TEMP=tmp, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
        out = subprocess.run([PY, "-m", "bench.ansiballz_bench", "--measure", collections, "--modules"] + modules,
                             cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return label, json.loads(out.splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="a revision whose collection is built and measured beside this tree's")
    ap.add_argument("--modules", nargs="+", default=MODULES)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.modules)))
        return
    settings = [("this tree", os.path.join(REPO, "build", "collections"))]
    if args.before:
        root = os.path.join(REPO, "build", "bench", "collection-" + args.before)
        lablib.collection_at(args.before, root)
        settings.append((args.before, root))
    results = [run(label, path, args.modules) for label, path in settings]
    head = "| module | " + " | ".join("%s: build CPU s | payload KiB | files" % label for label, _r in results) + " |"
    print(head)
    print("| --- |" + " ---: | ---: | ---: |" * len(results))
    names = [r["module"] for r in results[0][1]]
    for name in names:
        cells = []
        for _label, rows in results:
            row = next((r for r in rows if r["module"] == name), None)
            cells += ["%.3f" % row["build_cpu_s"], str(row["payload_kib"]), str(row["files"])] if row else ["-"] * 3
        print("| %s | %s |" % (name, " | ".join(cells)))
    for label, rows in results:
        print("%s: %.2f CPU-s to build all %d modules once" % (label, sum(r["build_cpu_s"] for r in rows), len(rows)))


if __name__ == "__main__":
    sys.exit(main())
