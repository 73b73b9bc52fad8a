"""A road warrior on the lab internet: its own namespace on azb-inet's `core` bridge, and an OpenVPN
client session from it, bounded in time. Used by scenarios that test VPN clients (multisite,
observability). Every namespace and process made here is removed / stopped by name or PID."""
import os
import signal
import subprocess
import time


def sh(cmd, check=True):
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60, check=False)
    if check and res.returncode != 0:
        raise AssertionError("%s -> %d: %s" % (cmd, res.returncode, res.stderr))
    return res


def netns_up(ns, address, veth):
    """Namespace NS with ADDRESS/24 on the lab internet (veth VETH0 in NS, VETH1 on core)."""
    host_if, inet_if = veth + "0", veth + "1"
    netns_down(ns, veth)
    sh("ip netns add %s" % ns)
    sh("ip link add %s netns %s type veth peer name %s netns azb-inet" % (host_if, ns, inet_if))
    sh("ip -n azb-inet link set %s master core up" % inet_if)
    sh("ip -n %s link set lo up && ip -n %s address add %s/24 dev %s && ip -n %s link set %s up && "
       "ip -n %s route add default via 203.0.113.254" % (ns, ns, address, host_if, ns, host_if, ns))
    return ns


def netns_down(ns, veth):
    sh("ip -n azb-inet link del %s1" % veth, check=False)
    sh("ip netns del %s" % ns, check=False)


def openvpn_session(ns, bundle, wait=20, dev="azbrwtun0"):
    """Start openvpn in NS with BUNDLE; return (proc, log path, connected?) within WAIT seconds."""
    log = "%s.%s.%d.log" % (bundle, ns, time.time() * 1000)
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "openvpn", "--config", bundle, "--dev", dev,
                             "--dev-type", "tun", "--log", log, "--connect-retry-max", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + wait
    while time.time() < deadline:
        text = open(log).read() if os.path.exists(log) else ""
        if "Initialization Sequence Completed" in text:
            return proc, log, True
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    return proc, log, False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
