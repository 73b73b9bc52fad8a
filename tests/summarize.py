"""Add up the JUnit reports of every pytest stage of `make test` into one closing line.

The line has the plain form CI reads ("N passed, N failed"), so a run that executed nothing cannot
pass as green: zero tests is reported as a failure by the caller.
"""
import glob
import sys
import xml.etree.ElementTree as ET


def main(pattern):
    passed = failed = skipped = 0
    files = sorted(glob.glob(pattern))
    for path in files:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            tests = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += tests - f - sk
            failed += f
            skipped += sk
    print(f"reports: {', '.join(files) or 'none'}")
    print(f"make test: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
