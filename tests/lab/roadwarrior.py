"""A road warrior on the lab internet: its own namespace on azb-inet's `core` bridge, and an OpenVPN
or WireGuard client session from it (the configuration the vpn role exported), bounded in time. Used by scenarios that test VPN clients (multisite,
observability). Every namespace and process made here is removed / stopped by name or PID."""
import os
import re
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


def wireguard_session(ns, conf, workdir, dev="azbrw0"):
    """wireguard-go in NS brought up from the exported wg-quick CONF (its Address, its AllowedIPs routed
    into the tunnel); returns the process (end it with ``stop``). The stripped copy goes to WORKDIR."""
    text = open(conf).read()
    address = re.search(r"^Address = (\S+)", text, re.M).group(1)
    allowed = re.search(r"^AllowedIPs = (.+)$", text, re.M).group(1).replace(" ", "").split(",")
    stripped = os.path.join(workdir, os.path.basename(conf) + ".stripped")
    with open(stripped, "w") as fh:
        fh.write(sh("wg-quick strip %s" % conf).stdout)
    os.chmod(stripped, 0o600)
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "wireguard-go", "-f", dev],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while sh("ip -n %s link show %s" % (ns, dev), check=False).returncode != 0:
            if time.time() > deadline or proc.poll() is not None:
                raise AssertionError("wireguard-go did not make %s in %s" % (dev, ns))
            time.sleep(0.1)
        sh("ip netns exec %s wg setconf %s %s" % (ns, dev, stripped))
        sh("ip -n %s address add %s dev %s && ip -n %s link set %s up" % (ns, address, dev, ns, dev))
        for net in allowed:
            sh("ip -n %s route add %s dev %s" % (ns, net, dev))
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
