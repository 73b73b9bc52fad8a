"""Edge services and the service catalog on lab-a15, verified by traffic.

Clients: c3 (office, br3, 10.3.0.50), c4 (dev, br4, 10.4.0.50); backends web1/web2 (dmz, br2,
10.2.0.11/.12) run ``backend.py`` (HTTP 8000, PROXY-protocol echo 9100). Every probe is bounded
(curl --max-time, socket timeouts, loops with deadlines); the backends are stopped by PID. Figures
are printed and appended to build/reports/services-figures.txt. The reboot test runs last.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(HERE, "../../../..")))
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
LAB_INVENTORY = os.path.join(EPHEMERAL, "lab-inventory.yml")
sys.path.insert(0, REPO)
from tests.lab import scenario  # noqa: E402 (the repository is on the path only from here)
from tests.lab.scenario import wait_for  # noqa: E402
VARS = scenario.load_vars(HERE)
APP = VARS["services_lab_appliance"]
IDX = scenario.appliance_index(APP)
NS = scenario.client_namespaces(APP, VARS["services_lab_clients"])
PY = os.path.join(REPO, ".venv/bin/python")
BOX = "10.3.0.1"
WAN1 = VARS["azb_zones"][0]["address"][0].split("/")[0]
LB, TLS, ECHO, PROXY, HELLO = "http://%s:8080/" % BOX, 8443, 9000, "http://%s:3128" % BOX, "http://%s:8081" % BOX
HUNG_BOUND_S = 3.0


def figure(line):
    print(line)
    os.makedirs(os.path.join(REPO, "build/reports"), exist_ok=True)
    with open(os.path.join(REPO, "build/reports/services-figures.txt"), "a") as fh:
        fh.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), line))


def in_ns(label, argv, timeout=20, data=None):
    return scenario.in_ns(NS[label], argv, timeout, data)


def curl(label, *args, max_time="2"):
    res = in_ns(label, ["curl", "-s", "-S", "--max-time", max_time, "-o", "-", "-w", "\n%{http_code}"] + list(args))
    body, _sep, code = res.stdout.rpartition("\n")
    return res.returncode, code, body


def env():
    e = dict(os.environ)
    e.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, "build/collections"))
    e["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    return e


def playbook(name, *extra):
    argv = [os.path.join(REPO, ".venv/bin/ansible-playbook"), "-i", LAB_INVENTORY] + list(extra) + [
        os.path.join(SCENARIO, name)]
    t0 = time.monotonic()
    res = subprocess.run(argv, cwd=REPO, env=env(), capture_output=True, text=True, timeout=300, check=False)
    return res, time.monotonic() - t0


def services_with(services):
    return ["-e", json.dumps({"azb_services": services})]


def status():
    with tempfile.TemporaryDirectory(prefix="azb-svc-status-") as tmp:
        out = os.path.join(tmp, "status.json")
        res, _t = playbook("status.yml", "-e", "status_out=" + out)
        assert res.returncode == 0, res.stdout[-3000:]
        with open(out) as fh:
            return json.load(fh)


def hello_version(label="c3"):
    rc, code, body = curl(label, HELLO + "/version")
    return body.strip() if rc == 0 and code == "200" else None


@pytest.fixture(scope="module", autouse=True)
def backends():
    procs = {}
    for name in ("web1", "web2"):
        procs[name] = subprocess.Popen(["ip", "netns", "exec", NS[name], sys.executable,
                                        os.path.join(HERE, "backend.py"), name],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: all(in_ns(n, ["curl", "-s", "-m", "1", "http://127.0.0.1:8000/health"]).returncode == 0
                                for n in procs), 10), "backends did not start"
    # haproxy brings them into rotation after `rise` good checks.
    assert wait_for(lambda: len(lb_names(6)) == 2, 15, 0.3), "both backends never answered through the LB"
    yield procs
    for proc in procs.values():
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(5)


def lb_names(n, url=LB):
    names = set()
    for _i in range(n):
        rc, code, body = curl("c3", url, max_time="1")
        if rc == 0 and code == "200":
            names.add(body.split()[0])
    return names


# -- load balancer and reverse proxy --------------------------------------------------------------

def test_load_balancer_spreads_connections_over_both_backends_and_forwards_the_client(host):
    seen = {}
    for _i in range(10):
        rc, code, body = curl("c3", LB)
        assert rc == 0 and code == "200", (rc, code, body)
        name, xff = body.split()
        seen[name] = seen.get(name, 0) + 1
        assert xff == "xff=10.3.0.50", body
    figure("load balancer: 10 requests -> %s" % seen)
    assert set(seen) == {"web1", "web2"} and min(seen.values()) >= 3


def test_reverse_proxy_serves_https_with_the_azb_ca_certificate(host):
    ca = host.file("/etc/azblink/pki/ca.crt").content_string
    with tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False) as fh:
        fh.write(ca)
    url = "https://www.office.test:%d/" % TLS
    resolve = "www.office.test:%d:%s" % (TLS, BOX)
    rc, code, body = curl("c3", "--cacert", fh.name, "--resolve", resolve, url)
    assert rc == 0 and code == "200" and body.split()[0] in ("web1", "web2"), (rc, code, body)
    rc_ip, code_ip, _b = curl("c3", "--cacert", fh.name, "https://%s:%d/" % (BOX, TLS))
    assert rc_ip == 0 and code_ip == "200"
    # Without the CA the same certificate does not verify (curl 60): the check above is real.
    rc_noca, _c, _b = curl("c3", "--resolve", resolve, url)
    assert rc_noca == 60, rc_noca


def test_tcp_balancer_hands_the_client_address_over_the_proxy_protocol(host):
    res = in_ns("c3", [sys.executable, "-c",
                       "import socket; s=socket.create_connection(('%s',%d),3); s.settimeout(3);"
                       " print(s.recv(64).decode().strip())" % (BOX, ECHO)])
    assert res.stdout.strip() == "SRC 10.3.0.50", res.stdout + res.stderr


def test_reload_keeps_an_established_connection(host):
    code = ("import socket,sys\ns=socket.create_connection(('%s',%d),3); s.settimeout(10)\n"
            "print(s.recv(64).decode().strip(), flush=True)\nsys.stdin.readline()\n"
            "s.sendall(b'still here\\n'); print(s.recv(64).decode().strip(), flush=True)\n" % (BOX, ECHO))
    proc = subprocess.Popen(["ip", "netns", "exec", NS["c3"], sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("SRC "), "no connection through the tcp balancer"
        pid_before = host.check_output("systemctl show -p MainPID --value haproxy")
        workers_before = host.check_output("pgrep -P %s" % pid_before)
        host.run_expect([0], "systemctl reload haproxy")
        # The reload is done when the master has a new worker.
        assert wait_for(lambda: host.run("pgrep -P %s" % pid_before).stdout != workers_before, 10), "no new worker"
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "still here", "the established connection was dropped"
    finally:
        proc.kill()
        proc.wait(5)
    assert lb_names(4) == {"web1", "web2"}


PROBER = r"""
import sys, threading, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
rows, lock = [], threading.Lock()
def one(t):
    try:
        name = urllib.request.urlopen(url, timeout=2).read().decode().split()[0]
    except Exception:
        name = "-"
    with lock:
        rows.append((t, name))
threads, end = [], time.time() + seconds
while time.time() < end:
    th = threading.Thread(target=one, args=(time.time(),))
    th.start()
    threads.append(th)
    time.sleep(0.05)
for th in threads:
    th.join()
for t, name in sorted(rows):
    print("%.3f %s" % (t, name))
"""


def test_a_hung_backend_is_out_of_rotation_fast(host, backends):
    """web2 stopped (SIGSTOP: the kernel still accepts its connections, it never answers). A new
    request from c3 every 50 ms, each in its own thread (up to 2 s): the time from the stop to the
    first of 10 requests in a row that web1 answers, i.e. since when no new connection hangs."""
    proc = subprocess.Popen(["ip", "netns", "exec", NS["c3"], sys.executable, "-c", PROBER, LB, "6"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    t_stop = time.time()
    backends["web2"].send_signal(signal.SIGSTOP)
    try:
        out, _err = proc.communicate(timeout=30)
    finally:
        backends["web2"].send_signal(signal.SIGCONT)
    rows = [(float(t), b) for t, b in (line.split() for line in out.splitlines())]
    before = [b for t, b in rows if t < t_stop - 0.1]
    after = [(t, b) for t, b in rows if t >= t_stop]
    out_at = None
    for i in range(len(after) - 9):
        if all(b == "web1" for _t, b in after[i:i + 10]):
            out_at = after[i][0] - t_stop
            break
    hung = sum(1 for _t, b in after if b != "web1")
    down = host.run("journalctl -u haproxy --since=-60s --no-pager -o short-unix | grep 'be_web/web2 is DOWN' | tail -1")
    log_t = float(down.stdout.split()[0]) - t_stop if down.stdout.strip() else None
    figure("hung backend: new connections all served by web1 %s s after the stop (%d requests hung or failed"
           " meanwhile); haproxy logged web2 DOWN after %s s; bound %.1f s"
           % ("%.2f" % out_at if out_at is not None else "never", hung,
              "%.2f" % log_t if log_t is not None else "?", HUNG_BOUND_S))
    assert set(before) == {"web1", "web2"}, "both backends were not in rotation before the stop"
    assert hung >= 1, "no request ever reached the hung backend: the test proved nothing"
    assert out_at is not None and out_at <= HUNG_BOUND_S
    t0 = time.monotonic()
    assert wait_for(lambda: "web2" in lb_names(4), 15, 0.2), "web2 did not come back after it recovered"
    figure("recovered backend back in rotation after %.2f s" % (time.monotonic() - t0))


def test_the_edge_status_fact_says_what_runs(host):
    edge = status()["edge"]
    servers = edge["haproxy"]["balancers"]["web"]["servers"]
    figure("edge status fact, balancer web: %s" % json.dumps(servers, sort_keys=True))
    assert edge["haproxy"]["running"] and edge["squid"]["running"]
    assert set(servers) == {"web1", "web2"} and all(s["status"] == "UP" for s in servers.values())
    assert all(s["sessions_total"] > 0 for s in servers.values())
    # Counters are per worker: the reload test started new ones, the hung-backend test used them.
    assert edge["haproxy"]["balancers"]["web"]["frontend"]["sessions_total"] >= 10


# -- forward proxy ----------------------------------------------------------------------------------

def access_log(host):
    return host.run("cat /var/log/squid/access.log").stdout


def test_forward_proxy_serves_the_office_and_logs_the_client(host):
    rc, code, body = curl("c3", "-x", PROXY, "http://203.0.113.10/ip", max_time="5")
    assert rc == 0 and code == "200" and body.strip() == WAN1, (rc, code, body)
    assert wait_for(lambda: any("10.3.0.50" in line and "http://203.0.113.10/ip" in line and "/200 " in line
                                for line in access_log(host).splitlines()), 15, 0.5), access_log(host)[-2000:]


def test_forward_proxy_refuses_a_denied_domain_and_logs_it(host):
    rc, code, _body = curl("c3", "-x", PROXY, "http://www.blocked.test/", max_time="5")
    assert rc == 0 and code == "403"
    assert wait_for(lambda: any("10.3.0.50" in line and "TCP_DENIED/403" in line and "blocked.test" in line
                                for line in access_log(host).splitlines()), 15, 0.5)


def test_forward_proxy_refuses_a_zone_its_acl_does_not_allow(host):
    rc, code, _body = curl("c4", "-x", "http://10.4.0.1:3128", "http://203.0.113.10/ip", max_time="5")
    assert rc == 0 and code == "403"


def test_the_zones_firewall_keeps_the_dmz_away_from_the_proxy(host):
    rc, code, _body = curl("web1", "-x", PROXY, "http://203.0.113.10/ip", max_time="2")
    assert rc in (7, 28) and code == "000", (rc, code)


# -- the service catalog ------------------------------------------------------------------------------

def test_catalog_service_runs_with_its_config_and_reports_status(host):
    assert wait_for(hello_version, 10) == "1.0"
    rc, code, body = curl("c3", HELLO + "/config/greeting.txt")
    assert (rc, code, body.strip()) == (0, "200", "hello from the catalog")
    st = status()["services"]["hello"]
    figure("status fact: %s" % json.dumps(st, sort_keys=True))
    assert st["version"] == "1.0" and st["running"] and st["healthy"] and st["enabled"]


def test_catalog_update_changes_the_running_version(host):
    res, took = playbook("catalog.yml", "--tags", "services_catalog", *services_with([{"name": "hello", "version": "2.0"}]))
    assert res.returncode == 0, res.stdout[-3000:]
    figure("catalog update 1.0 -> 2.0: playbook %.1f s" % took)
    assert hello_version() == "2.0"
    st = status()["services"]["hello"]
    assert st["version"] == "2.0" and st["healthy"]
    assert not host.file("/var/lib/azblink/services/hello/rootfs-1.0").exists


def test_catalog_refuses_a_service_the_tenant_does_not_authorize(host):
    before = host.check_output("ls -l --time-style=+%s /var/lib/azblink/artefacts /etc/systemd/system/azb-svc-hello.service")
    res, _t = playbook("catalog.yml", "--tags", "services_catalog", "-e", "azb_tenant=globex",
                       *services_with([{"name": "hello", "version": "1.0"}]))
    assert res.returncode != 0
    assert "services[0].name: tenant 'globex' does not authorize 'hello'" in res.stdout, res.stdout[-3000:]
    assert host.check_output("ls -l --time-style=+%s /var/lib/azblink/artefacts /etc/systemd/system/azb-svc-hello.service") == before
    assert hello_version() == "2.0"


def test_catalog_remove_stops_and_deletes_the_service(host):
    res, _t = playbook("catalog.yml", "--tags", "services_catalog", *services_with([]))
    assert res.returncode == 0, res.stdout[-3000:]
    rc, _code, _body = curl("c3", HELLO + "/version")
    assert rc == 7, "still answering after removal (curl %d)" % rc
    assert "hello" not in status()["services"]
    assert not host.file("/etc/systemd/system/azb-svc-hello.service").exists
    # Back to the scenario's own state (1.0) for the reboot test.
    res, _t = playbook("catalog.yml", "--tags", "services_catalog")
    assert res.returncode == 0, res.stdout[-3000:]
    assert hello_version() == "1.0"


# -- reboot (last) ------------------------------------------------------------------------------------

def test_everything_answers_after_a_reboot_without_ansible(host):
    t0 = time.monotonic()
    res = subprocess.run([PY, "-m", "tests.lab.azblab", "restart", APP], cwd=REPO, check=False, timeout=300,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert wait_for(lambda: lb_names(6) == {"web1", "web2"}, 90, 1), "the load balancer did not come back"
    figure("after the reboot the load balancer answered in %.1f s" % (time.monotonic() - t0))
    assert wait_for(hello_version, 30, 0.5) == "1.0"
    assert wait_for(lambda: curl("c3", "-x", PROXY, "http://203.0.113.10/ip", max_time="5")[1] == "200", 30, 1)
    assert wait_for(lambda: curl("c3", "-k", "https://%s:%d/" % (BOX, TLS))[1] == "200", 10, 0.5)
    figure("after the reboot everything answered in %.1f s" % (time.monotonic() - t0))
