"""A stand-in for AWX's REST API (no AWX server runs here): enough of /api/v2 for the awx.awx
modules that playbooks/awx_bootstrap.yml uses - list with filters, create, read, update, associate,
and a workflow node's approval template. It stores what it is sent and records every request, so a
test can check the requests the playbook renders and that a second run changes nothing."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

VERSION = "24.6.1"   # the awx.awx version, so the modules do not warn about a mismatch


class Store:
    def __init__(self):
        self.items = {}        # type -> {id: item}
        self.next_id = 1
        self.requests = []     # (method, path, query, body)
        self.lock = threading.Lock()

    def create(self, kind, body):
        item = dict(body)
        item["id"] = self.next_id
        self.next_id += 1
        item["type"] = kind[:-1] if kind.endswith("s") else kind
        item["url"] = "/api/v2/%s/%d/" % (kind, item["id"])
        item["related"] = {}
        item["summary_fields"] = {}
        self.items.setdefault(kind, {})[item["id"]] = item
        return item


def _matches(item, query):
    for key, want in query.items():
        if key in ("page_size", "page", "order_by"):
            continue
        have = item.get(key)
        if isinstance(have, bool):
            have = str(have).lower()
        if str(have) != want:
            return False
    return True


def handler_for(store):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, code, data=None):
            body = b"" if data is None else json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-API-Product-Name", "AWX")
            self.send_header("X-API-Product-Version", VERSION)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self, method):
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            with store.lock:
                store.requests.append((method, parts.path, query, body))
                self._route(method, parts.path, query, body)

        def _route(self, method, path, query, body):
            m = re.match(r"^/api/v2/(?:([a-z_]+)/(?:(\d+)/(?:([a-z_]+)/)?)?)?$", path)
            if not m:
                return self._send(404, {"detail": "Not found."})
            kind, ident, sub = m.group(1), m.group(2), m.group(3)
            if kind is None or kind in ("ping", "config", "me"):
                return self._send(200, {"version": VERSION, "results": [{"id": 1, "username": "admin"}], "count": 1})
            if kind == "unified_job_templates" and method == "GET":
                # The union of every template kind (job templates, projects, workflows, approvals).
                table = dict((i["url"], i) for t in store.items.values() for i in t.values())
            else:
                table = store.items.setdefault(kind, {})
            if ident is None:
                if method == "GET":
                    found = [i for i in table.values() if _matches(i, query)]
                    return self._send(200, {"count": len(found), "results": found, "next": None, "previous": None})
                if method == "POST":
                    return self._send(201, store.create(kind, body))
                return self._send(405)
            item = table.get(int(ident))
            if item is None:
                return self._send(404, {"detail": "Not found."})
            if sub is None:
                if method == "GET":
                    return self._send(200, item)
                if method in ("PATCH", "PUT"):
                    item.update(body)
                    return self._send(200, item)
                if method == "DELETE":
                    del table[int(ident)]
                    return self._send(204)
                return self._send(405)
            if sub == "create_approval_template" and method == "POST":
                approval = store.create("workflow_approval_templates", body)
                item["unified_job_template"] = approval["id"]
                item["related"]["unified_job_template"] = approval["url"]
                item.setdefault("summary_fields", {})["unified_job_template"] = {
                    "id": approval["id"], "name": approval.get("name"), "unified_job_type": "workflow_approval"}
                return self._send(201, approval)
            assoc = item.setdefault("_assoc", {}).setdefault(sub, [])
            if method == "GET":
                found = []
                for i in assoc:
                    for t in store.items.values():
                        if i in t and _matches(t[i], query):
                            found.append(t[i])
                            break
                return self._send(200, {"count": len(found), "results": found, "next": None, "previous": None})
            if method == "POST":
                if body.get("disassociate"):
                    if body["id"] in assoc:
                        assoc.remove(body["id"])
                elif body["id"] not in assoc:
                    assoc.append(body["id"])
                return self._send(204)
            return self._send(405)

        def do_GET(self):  # noqa: N802 (the http.server API)
            self._handle("GET")

        def do_POST(self):  # noqa: N802
            self._handle("POST")

        def do_PATCH(self):  # noqa: N802
            self._handle("PATCH")

        def do_PUT(self):  # noqa: N802
            self._handle("PUT")

        def do_DELETE(self):  # noqa: N802
            self._handle("DELETE")

    return Handler


def serve():
    """Start the fake on 127.0.0.1 (a free port); returns (server, store, url)."""
    store = Store()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(store))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, store, "http://127.0.0.1:%d" % server.server_address[1]
