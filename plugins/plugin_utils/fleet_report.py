# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: what a playbook run did to each box, as a dict, JSON and Markdown.

Pure: the callback feeds it task results; it never touches a box. One model serves the three fleet
playbooks: rollout (changed / failed / unreachable / never reached, per batch), drift (the changes
check mode found, per box and module, with their diffs) and status (what each box reports).
"""
from __future__ import annotations

import difflib
import json

STOPPED = "stopped"     # healthy, but in the batch where another box failed: the rollout ended there
HIDDEN = "(hidden: the task is no_log)"


def diff_text(diff):
    """One unified-diff text from Ansible's diff result (a dict or a list of dicts)."""
    parts = diff if isinstance(diff, list) else [diff]
    out = []
    for d in parts:
        if not isinstance(d, dict):
            continue
        if d.get("prepared"):
            out.append(str(d["prepared"]).rstrip("\n"))
            continue
        before, after = d.get("before", ""), d.get("after", "")
        if before == after:
            continue
        if not isinstance(before, str) or not isinstance(after, str):
            before = json.dumps(before, indent=2, sort_keys=True, default=str)
            after = json.dumps(after, indent=2, sort_keys=True, default=str)
        lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="",
                                     fromfile=str(d.get("before_header", "before")),
                                     tofile=str(d.get("after_header", "after")))
        out.append("\n".join(lines))
    return "\n".join(p for p in out if p)


class FleetReport:
    """Accumulates results per host; ``as_dict`` gives the report."""

    def __init__(self, playbook, check_mode):
        self.playbook = playbook
        self.check_mode = bool(check_mode)
        self.hosts = {}          # name -> record
        self.batches = []        # host names per batch, in order
        self.targeted = []       # every host the reported plays aimed at, in order

    def _host(self, name):
        return self.hosts.setdefault(name, {"reached": False, "changed": 0, "failed": False,
                                            "unreachable": False, "stopped": False, "messages": [],
                                            "changes": [], "facts": {}})

    def target(self, batch, all_hosts):
        self.batches.append(list(batch))
        for h in all_hosts:
            if h not in self.targeted:
                self.targeted.append(h)

    def ok(self, host, task, changed, diff=None, no_log=False, facts=None):
        rec = self._host(host)
        rec["reached"] = True
        if facts:
            rec["facts"].update(facts)
        if changed:
            rec["changed"] += 1
            rec["changes"].append(dict(task, diff=HIDDEN if no_log else diff_text(diff or {})))

    def failed(self, host, task, msg, stop=False):
        rec = self._host(host)
        rec["reached"] = True
        if stop:
            rec["stopped"] = True
            return
        rec["failed"] = True
        rec["messages"].append("%s: %s" % (task.get("task"), msg))

    def unreachable(self, host, task, msg):
        rec = self._host(host)
        rec["unreachable"] = True
        rec["messages"].append("%s: %s" % (task.get("task"), msg))

    def status_of(self, name):
        rec = self.hosts.get(name)
        if rec is None or not (rec["reached"] or rec["unreachable"]):
            return "never_reached"
        if rec["unreachable"]:
            return "unreachable"
        if rec["failed"]:
            return "failed"
        if self.check_mode:
            return "drifted" if rec["changed"] else "in_sync"
        if rec["stopped"]:
            return STOPPED
        return "changed" if rec["changed"] else "unchanged"

    def as_dict(self):
        hosts = {}
        summary = {}
        for name in self.targeted + [h for h in self.hosts if h not in self.targeted]:
            rec = self.hosts.get(name) or self._host(name)
            status = self.status_of(name)
            summary.setdefault(status, []).append(name)
            hosts[name] = {"status": status, "changed_tasks": rec["changed"], "messages": rec["messages"],
                           "changes": rec["changes"], "facts": rec["facts"],
                           "batch": next((i + 1 for i, b in enumerate(self.batches) if name in b), None)}
        return {"playbook": self.playbook, "check_mode": self.check_mode, "batches": self.batches,
                "summary": dict((k, sorted(v)) for k, v in sorted(summary.items())), "hosts": hosts}


def markdown(report):
    """The report as Markdown: a summary table, then each box's changes with their diffs."""
    title = "Drift report" if report["check_mode"] else "Fleet report"
    lines = ["# %s: %s" % (title, report["playbook"]), ""]
    if report["batches"] and len(report["batches"]) > 1:
        lines.append("Batches: " + " | ".join(", ".join(b) for b in report["batches"]))
        lines.append("")
    lines += ["| box | batch | status | changed tasks | notes |", "| --- | --- | --- | --- | --- |"]
    for name, h in report["hosts"].items():
        notes = "; ".join(h["messages"]).replace("|", "\\|").replace("\n", " ")
        lines.append("| %s | %s | %s | %d | %s |" % (name, h["batch"] or "-", h["status"], h["changed_tasks"], notes))
    lines.append("")
    for status, names in sorted(report["summary"].items()):
        lines.append("- **%s**: %s" % (status, ", ".join(names)))
    for name, h in report["hosts"].items():
        if not h["changes"]:
            continue
        lines += ["", "## %s" % name, ""]
        for c in h["changes"]:
            lines.append("- %s / %s (`%s`)" % (c.get("role") or "-", c.get("task"), c.get("action")))
            if c.get("diff"):
                lines += ["", "```diff", c["diff"], "```", ""]
    return "\n".join(lines) + "\n"
