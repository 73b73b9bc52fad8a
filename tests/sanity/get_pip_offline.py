"""Stand-in for the get-pip bootstrap script ansible-test downloads from a host this machine cannot
reach. It does the same job with what is here: ensurepip from the standard library, then pip from
PyPI (which is reachable) with the arguments ansible-test passes (e.g. ``pip==24.2``).
"""
import ensurepip
import os
import runpy
import sys

if __name__ == "__main__":
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    # ensurepip points PIP_CONFIG_FILE at /dev/null for its own offline run; pip proper must see the
    # machine's configuration (index, certificates) again.
    os.environ.clear()
    os.environ.update(saved)
    # get-pip's own switches; the rest are pip install arguments.
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    sys.argv = ["pip", "install"] + args
    runpy.run_module("pip", run_name="__main__", alter_sys=True)
