#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_edge_services
short_description: Load balancer, reverse proxy (haproxy) and HTTP forward proxy (squid) of the appliance
version_added: 0.1.0
description:
  - Renders C(/etc/haproxy/haproxy.cfg) from O(load_balancers) and C(/etc/squid/squid.conf) from
    O(forward_proxy), validates each with the tool's own checker (C(haproxy -c), C(squid -k parse)) before
    anything is written, writes them atomically and reloads the services (haproxy's master-worker reload
    lets old workers finish their connections; squid reconfigures in place).
  - Each service runs as its Debian systemd unit (C(haproxy.service), C(squid.service)), enabled for boot,
    with its own log (haproxy to its unit's journal, squid's access log C(/var/log/squid/access.log) with
    each client's address).
  - TLS termination uses a certificate issued by M(azblink.nfv.azb_ca) and pushed by the C(pki) role
    (C(/etc/azblink/pki/certs/NAME.crt) and C(private/NAME.key)); the module bundles it for haproxy as a
    0600 file; diffs show a fingerprint, never the key.
  - A configuration the module did not write (no azblink header) is never removed.
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  state:
    description:
      - V(present) converges; V(absent) stops the services and removes the configurations it wrote.
      - V(rendered) returns the configurations without touching or reading the box (no checker runs).
      - V(gathered) only reports what runs (the fact C(azb_edge_status)).
    type: str
    choices: [present, absent, rendered, gathered]
    default: present
  load_balancers:
    description: IP load balancers and reverse proxies (one haproxy frontend and backend each).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unique name., type: str, required: true}
      mode:
        description: V(http) (reverse proxy, TLS termination possible) or V(tcp) (layer 4).
        type: str
        choices: [tcp, http]
        default: http
      bind: {description: 'Where it listens: C(PORT), C(ADDRESS:PORT) or C(*:PORT).', type: str, required: true}
      certificate:
        description: Name of an azb_ca certificate pushed by the pki role; the frontend then speaks HTTPS (mode http only).
        type: str
      balance: {description: How connections are spread over the servers., type: str, choices: [roundrobin, leastconn, source], default: roundrobin}
      client_source:
        description:
          - How a server learns the client's address. V(forwarded) adds C(X-Forwarded-For) (mode http, its default);
            V(proxy) sends the PROXY protocol v2 header (the server must expect it); V(none) (tcp default).
        type: str
        choices: [none, forwarded, proxy]
      health:
        description: Active health checks; a server that does not answer within O(load_balancers[].health.timeout_ms)
          for O(load_balancers[].health.fall) checks in a row is out of rotation, and its sessions are shut.
        type: dict
        suboptions:
          type:
            description: V(http) (GET O(load_balancers[].health.path), 2xx/3xx) or V(tcp) (connect); the default follows the mode.
            type: str
            choices: [tcp, http]
          path: {description: URL path of http checks., type: str, default: /}
          interval_ms: {description: Time between checks., type: int, default: 300}
          timeout_ms: {description: How long a check waits (at most the interval)., type: int, default: 300}
          fall: {description: Failed checks that take a server out., type: int, default: 2}
          rise: {description: Good checks that bring it back., type: int, default: 2}
      clients:
        description:
          - Who may reach it, zone names (from O(zones)), CIDRs or V(any). Not used by haproxy itself; the
            C(zones) role opens the listening port to them (with the C(inputs) hook), like the forward
            proxy's O(forward_proxy.allow).
        type: list
        elements: str
        default: []
      servers:
        description: The backends.
        type: list
        elements: dict
        required: true
        suboptions:
          name: {description: Unique name in this balancer., type: str, required: true}
          address: {description: IP address., type: str, required: true}
          port: {description: TCP port., type: int, required: true}
  forward_proxy:
    description: The explicit HTTP forward proxy (squid). Omit it for none.
    type: dict
    suboptions:
      port: {description: Port clients configure., type: int, default: 3128}
      listen: {description: Addresses it listens on (default all)., type: list, elements: str, default: []}
      allow:
        description: Zones (names from O(zones)) or CIDRs whose clients may use it; all others are refused.
        type: list
        elements: str
        required: true
      deny_domains: {description: Domains (and their subdomains) refused to everyone., type: list, elements: str, default: []}
      dns: {description: Resolvers squid uses (default the box's)., type: list, elements: str, default: []}
  zones:
    description: The zones of the box (the C(zones) role's C(azb_zones)); names and addresses are used.
    type: list
    elements: dict
    default: []
notes:
  - The C(zones) role opens each listener to O(load_balancers[].clients) and the proxy to
    O(forward_proxy.allow) (its inputs hook); other openings go in C(azb_box_inputs).
"""

EXAMPLES = r"""
- name: HTTPS reverse proxy over two web servers, and a forward proxy for the office
  azblink.nfv.azb_edge_services:
    load_balancers:
      - name: web
        bind: 10.3.0.1:443
        certificate: www
        health: {path: /health, interval_ms: 300, timeout_ms: 300, fall: 2}
        servers:
          - {name: web1, address: 10.2.0.11, port: 8080}
          - {name: web2, address: 10.2.0.12, port: 8080}
      - name: db
        mode: tcp
        bind: "10.3.0.1:5432"
        client_source: proxy
        servers: [{name: db1, address: 10.2.0.20, port: 5432}]
    forward_proxy:
      listen: [10.3.0.1]
      allow: [office]
      deny_domains: [ads.example]
    zones: "{{ azb_zones }}"
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/haproxy/haproxy.cfg", "reload haproxy.service"]
ansible_facts:
  description:
    - C(azb_edge_status) (state gathered) - haproxy's own view of each balancer (frontend sessions; each
      server's status UP/DOWN, last check, sessions, downtime) and whether haproxy and squid run.
  returned: when state is gathered
  type: dict
  sample: {"azb_edge_status": {"haproxy": {"running": true, "balancers": {"web": {"servers": {"web1": {"status": "UP"}}}}},
                               "squid": {"running": true}}}
rendered:
  description: The configurations by path (TLS bundles are never returned).
  returned: when state is rendered or present
  type: dict
  sample: {"/etc/haproxy/haproxy.cfg": "global ...", "/etc/squid/squid.conf": "http_port 3128 ..."}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError
from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_model, edge_plan, edge_status
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_haproxy, render_squid
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import Adapter, ServiceError
from ansible_collections.azblink.nfv.plugins.module_utils.services.edge_spec import argument_spec


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    state = module.params["state"]
    runner = ModuleRunner(module, ServiceError)
    ad = Adapter(runner.run)

    if state == "gathered":
        module.exit_json(changed=False, ansible_facts={"azb_edge_status": edge_status.gather(ad)})
    if state == "absent":
        p = edge_plan.plan_absent(ad)
    else:
        edge = runner.build(edge_model.build)
        rendered = {}
        if edge.balancers:
            rendered[render_haproxy.CONFIG] = render_haproxy.render(edge)
        if edge.proxy:
            rendered[render_squid.CONFIG] = render_squid.render(edge.proxy)
        if state == "rendered":
            module.exit_json(changed=False, rendered=rendered)
        # Planning checks the inputs against the box too (certificates, ports): those fail by path.
        try:
            p = edge_plan.plan(edge, ad, module.check_mode)
        except ValidationError as exc:
            module.fail_json(msg=str(exc), path=exc.path)
        except ServiceError as exc:
            module.fail_json(msg=str(exc))
    try:
        if p.changed and not module.check_mode:
            edge_plan.execute(p, ad)
    except ServiceError as exc:
        module.fail_json(msg=str(exc), actions=p.actions())
    runner.exit(p, dict(rendered=rendered) if state == "present" else None)


if __name__ == "__main__":
    main()
