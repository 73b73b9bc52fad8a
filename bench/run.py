"""`make bench`: run every bench/*_bench.py in turn (each prints its own table). Not tests."""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

if __name__ == "__main__":
    wanted = sys.argv[1:]
    rc = 0
    for path in sorted(glob.glob(os.path.join(HERE, "*_bench.py"))):
        name = os.path.basename(path)[:-3]
        if wanted and name not in wanted:
            continue
        print("== bench.%s" % name, flush=True)
        rc |= subprocess.run([sys.executable, "-m", "bench." + name], cwd=REPO, check=False).returncode
    sys.exit(rc)
