#!/usr/bin/env python
# azblink.nfv workloads role: health probe of always-on VMs (run by azb-vm-health.timer).
# Reads /etc/azblink/vm-health.json, probes each VM (ping or TCP connect), and after `failures`
# consecutive failed probes resets (or powers off and starts) the VM. A VM that is not running is
# started. A VM that still fails after a reset gets twice the grace before the next one (up to 16x),
# so a guest that boots slowly on a loaded host is not reset in a loop before it is up.
# Every action is logged to the journal and to /var/log/azblink/vm-health.log.
"""Probe always-on VMs and restart hung ones."""
import json
import os
import socket
import subprocess
import sys
import time

CONFIG = "/etc/azblink/vm-health.json"
STATE = "/run/azblink/vm-health.state"
LOG = "/var/log/azblink/vm-health.log"
MAX_BACKOFF = 4  # grace doubles after each reset that did not bring the VM back: at most 16x


def log(msg):
    line = "%s azb-vm-health: %s" % (time.strftime("%Y-%m-%dT%H:%M:%S%z"), msg)
    print(line, flush=True)
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, "a") as f:
        f.write(line + "\n")


def virsh(uri, *args):
    p = subprocess.run(["virsh", "--connect", uri] + list(args), capture_output=True, text=True,
                       timeout=60, check=False)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def probe(vm):
    if vm.get("probe") == "tcp":
        try:
            socket.create_connection((vm["address"], int(vm.get("port", 80))), timeout=3).close()
            return True
        except OSError:
            return False
    return subprocess.run(["ping", "-c", "1", "-W", "2", vm["address"]], capture_output=True,
                          check=False, timeout=10).returncode == 0


def main():
    try:
        with open(CONFIG) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        print("azb-vm-health: no configuration: %s" % e)
        return 0
    try:
        with open(STATE) as f:
            state = json.load(f)
    except (OSError, ValueError):
        state = {}
    uri = cfg.get("uri", "qemu:///system")
    now = time.time()
    for vm in cfg.get("vms", []):
        name = vm["name"]
        st = state.setdefault(name, {"failures": 0, "since": 0})
        rc, dstate, _err = virsh(uri, "domstate", name)
        if rc != 0:
            continue  # not defined (yet): nothing to keep alive
        if dstate != "running":
            rc, _o, err = virsh(uri, "start", name)
            log("%s was %s: started (%s)" % (name, dstate, "ok" if rc == 0 else err))
            st.update(failures=0, since=now)
            continue
        try:  # the QEMU process's start: grace also covers starts by libvirt, virsh or azb_vm
            started = os.stat("/run/libvirt/qemu/%s.pid" % name).st_mtime
        except OSError:
            started = 0
        grace = int(vm.get("grace", 60)) * 2 ** min(st.get("resets", 0), MAX_BACKOFF)
        if now - max(st.get("since", 0), started) < grace:
            continue
        if probe(vm):
            st.update(failures=0, resets=0)
            continue
        st["failures"] += 1
        if st["failures"] < int(vm.get("failures", 3)):
            continue
        reason = "%d failed %s probes of %s" % (st["failures"], vm.get("probe", "ping"), vm["address"])
        if vm.get("action", "reset") == "restart":
            virsh(uri, "destroy", name)
            rc, _o, err = virsh(uri, "start", name)
        else:
            rc, _o, err = virsh(uri, "reset", name)
        st.update(failures=0, since=now, resets=st.get("resets", 0) + 1)
        log("%s hung (%s): %s %s; next grace %d s" % (
            name, reason, vm.get("action", "reset"), "ok" if rc == 0 else err,
            int(vm.get("grace", 60)) * 2 ** min(st["resets"], MAX_BACKOFF)))
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    with open(STATE + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(STATE + ".tmp", STATE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
