"""QoS verified by traffic on lab-a22: a voice-like UDP flow from the office zone and bulk TCP from
the NVR zone, both to our server on the lab internet, through the shaped wan1 and the ISP's modem
(a 22 Mbit/s uplink with a deep queue, see server_side.sh).

Every flow is bounded (iperf3 -t, voice packet counts with a grace period, tcpdump -c under timeout,
polls with deadlines). Figures are printed (pytest -s / junit) and checked against the issue's bar:
voice loss 0 and p99 rise <= 10 ms while bulk saturates the link; bulk gets at least its guarantee;
the same load without the QoS configuration shows the damage.
"""
import subprocess
import sys

import pytest

from flows import (APP, BULK_GUARANTEE_MBIT, DOWN_MBIT, ISP_NS, LINK_MBIT, PY, QOS_OFF, QOS_ON, REPO, SRV,
                   VOICE_PORT, iperf, mbit, row, start_servers, voice, voice_under_bulk)

sys.path.insert(0, REPO)
from tests.lab import capture  # noqa: E402 (the repository is on the path only from here)
from tests.lab.scenario import wait_for  # noqa: E402


def qos_off(host):
    host.run(QOS_OFF)


def qos_on(host):
    host.check_output(QOS_ON)


@pytest.fixture(scope="module", autouse=True)
def servers():
    """iperf3 and the voice echo in our server namespace, bounded by timeout and stopped by PID."""
    procs = start_servers()
    assert wait_for(lambda: voice(5)["received"] == 5, 20, 0.5), "voice echo not reachable through the box"
    yield
    for p in procs:
        p.terminate()
        p.wait(10)


def test_voice_stays_clear_under_bulk_and_is_damaged_without_qos(host):
    idle = voice(250)
    assert idle["lost"] == 0, idle
    with_qos, bulk_qos = voice_under_bulk()
    qos_off(host)
    try:
        idle_raw = voice(250)
        without, bulk_raw = voice_under_bulk()
    finally:
        qos_on(host)
    print("\n" + row("with QoS", idle, with_qos, bulk_qos))
    print(row("without QoS", idle_raw, without, bulk_raw))
    assert with_qos["lost"] == 0, with_qos
    assert with_qos["p99_ms"] - idle["p99_ms"] <= 10.0, with_qos
    assert bulk_qos >= BULK_GUARANTEE_MBIT, "bulk got %.2f Mbit/s, below its guarantee" % bulk_qos
    assert bulk_qos <= LINK_MBIT * 1.03, "the upload was not shaped to the link rate: %.2f" % bulk_qos
    # The load is real: without the shaper the modem's queue fills and voice waits in it.
    assert without["lost"] > 0 or without["p99_ms"] - idle_raw["p99_ms"] > 10.0, without


def _dscp_seen(match, send, count=10):
    """Packets leaving the box on wan1 (seen at the ISP) matching a pcap filter, while send() runs."""
    cap = capture.start(ISP_NS, "cust0", match, 15, count)
    send()
    return len(capture.packets(cap))


def test_voice_leaves_marked_ef_and_bulk_cs1(host):  # host: keeps pytest's order (testinfra groups by it)
    ef = "udp and dst host %s and dst port %d and (ip[1] & 0xfc) = 0xb8" % (SRV, VOICE_PORT)
    assert _dscp_seen(ef, lambda: voice(50)) == 10
    cs1 = "tcp and dst host %s and dst port 5201 and (ip[1] & 0xfc) = 0x20" % SRV
    assert _dscp_seen(cs1, lambda: mbit(iperf("nvr", 2, streams=1))) == 10


def test_download_is_shaped_through_the_ifb(host):
    down = mbit(iperf("nvr", 5, reverse=True))
    print("\ndownload through the IFB: %.2f Mbit/s (declared %.0f)" % (down, DOWN_MBIT))
    assert 0.5 * DOWN_MBIT <= down <= DOWN_MBIT * 1.03


def test_shaping_comes_back_after_a_reboot(host):
    qos_off(host)  # as after a cold boot: nothing of it in the kernel
    subprocess.run([PY, "-m", "tests.lab.azblab", "restart", APP], cwd=REPO, check=True, timeout=180,
                   capture_output=True)
    assert wait_for(lambda: voice(5)["received"] == 5, 60, 1), "voice path did not come back: %s" % voice(5)
    up = mbit(iperf("nvr", 4))
    print("\nupload after the reboot: %.2f Mbit/s" % up)
    assert up <= LINK_MBIT * 1.03
    ef = "udp and dst host %s and dst port %d and (ip[1] & 0xfc) = 0xb8" % (SRV, VOICE_PORT)
    assert _dscp_seen(ef, lambda: voice(50)) == 10
