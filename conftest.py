"""Make `ansible_collections.azblink.nfv` importable from this working tree for pytest.

A symlink outside the tree (a temporary directory) names the repository as the collection, so unit
tests import the code being edited, not a copy, and nothing inside the tree points back at itself.
"""
import atexit
import os
import shutil
import sys
import tempfile
import time

_root = tempfile.mkdtemp(prefix="azb-pytest-collections-")
os.makedirs(os.path.join(_root, "ansible_collections", "azblink"))
os.symlink(os.path.dirname(os.path.abspath(__file__)),
           os.path.join(_root, "ansible_collections", "azblink", "nfv"))
sys.path.insert(0, _root)
atexit.register(shutil.rmtree, _root, True)


# Ansible refuses to run when its stdin is non-blocking ("Ansible requires blocking IO"). Tests start
# ansible-playbook as a child, and ssh processes started before (ControlPersist masters) may have set
# O_NONBLOCK on a shared stdin. Every test process gets a private /dev/null as stdin, made blocking
# again before each test.
def _private_blocking_stdin():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)


_private_blocking_stdin()


def pytest_runtest_setup(item):  # noqa: ARG001 (pytest hook signature)
    os.set_blocking(0, True)


# A lab appliance's ssh session is sometimes cut on a loaded 2-core machine: ssh exits 255 with
# nothing on stderr, and testinfra raises before the command's own result exists. That is the
# transport, not what the test checks: the command is run again, at most five more times over
# about 25 s (ci13 saw one box refuse for 6 s while its HA peer booted beside it), and each retry
# is printed. A box that stays unreachable still fails the test.
def _retry_cut_ssh_sessions():
    try:
        from testinfra.backend import ssh
    except ImportError:
        return
    once = ssh.SshBackend.run_ssh

    def run_ssh(self, command):
        for attempt in range(5):
            try:
                return once(self, command)
            except RuntimeError:
                sys.stderr.write("ssh to %s exited 255 (attempt %d), running it again: %s\n"
                                 % (self.host.name, attempt + 1, str(command)[:120]))
            time.sleep(min(2 ** attempt, 8))
        return once(self, command)
    ssh.SshBackend.run_ssh = run_ssh


_retry_cut_ssh_sessions()
