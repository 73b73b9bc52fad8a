"""Traffic of the qos scenario, shared by its tests and bench/qos_bench.py: a voice-like UDP flow
from the office client and bulk TCP from the NVR client, to our server on the lab internet."""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
sys.path.insert(0, REPO)
from tests.lab import scenario  # noqa: E402 (the repository is on the path only from here)
VARS = scenario.load_vars(HERE)
APP = VARS["qos_lab_appliance"]
IDX = scenario.appliance_index(APP)
NS = scenario.client_namespaces(APP, VARS["qos_lab_clients"])
SRV_NS = VARS["qos_server_netns"]
SRV = VARS["qos_server_address"]
ISP_NS = "azb-a%s-isp1" % IDX
PY = os.path.join(REPO, ".venv/bin/python")
VOICE = os.path.join(HERE, "voice.py")
VOICE_PORT = 4000
LINK_MBIT = 20.0          # azb_qos_links[0].egress
DOWN_MBIT = 50.0          # azb_qos_links[0].ingress
BULK_GUARANTEE_MBIT = 4.0  # the default bulk class: 20% of the link
BULK_SECONDS = 14
VOICE_PACKETS = 400       # 8 s at 50 packets/s, inside the bulk transfer
SETTLE_S = 3              # bulk ramps up and fills the queues before voice starts


def in_ns(ns, argv, timeout=30):
    return scenario.in_ns(ns, argv, timeout)


def voice(count):
    res = in_ns(NS["voice"], [sys.executable, VOICE, "send", SRV, str(VOICE_PORT), "--count", str(count)],
                timeout=count / 50.0 + 15)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def iperf(label, seconds, reverse=False, streams=4):
    argv = ["iperf3", "-c", SRV, "-t", str(seconds), "-P", str(streams), "-J"] + (["-R"] if reverse else [])
    return subprocess.Popen(["ip", "netns", "exec", NS[label], "timeout", str(seconds + 15)] + argv,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def mbit(proc):
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err or out
    assert "error" not in json.loads(out), out
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6


def voice_under_bulk():
    """(voice figures, bulk Mbit/s): voice runs inside a bulk upload from the NVR zone."""
    bulk = iperf("nvr", BULK_SECONDS)
    time.sleep(SETTLE_S)  # bulk is a fixed-length background load; voice starts once it is at speed
    v = voice(VOICE_PACKETS)
    return v, mbit(bulk)


QOS_OFF = "tc qdisc del dev wan1 root; tc qdisc del dev wan1 ingress; nft delete table inet azblink_qos"
# The box's own apply path (the one azb-qos.service runs at boot).
QOS_ON = "sh /etc/azblink/qos.sh /etc/azblink"


def start_servers(seconds=600):
    """iperf3 and the voice echo in our server namespace (bounded by timeout; stop them by PID)."""
    return [subprocess.Popen(["ip", "netns", "exec", SRV_NS, "timeout", str(seconds), "iperf3", "-s", "-B", SRV],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen(["ip", "netns", "exec", SRV_NS, sys.executable, VOICE, "echo", SRV, str(VOICE_PORT),
                              "--seconds", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]


def row(name, idle, v, bulk):
    return "%-12s voice loss %d/%d  p50 %6.2f ms  p99 %6.2f ms (idle %5.2f, rise %+7.2f)  bulk %5.2f Mbit/s" % (
        name, v["lost"], v["sent"], v["p50_ms"] or -1, v["p99_ms"] or -1, idle["p99_ms"], (v["p99_ms"] or 999) -
        idle["p99_ms"], bulk)
