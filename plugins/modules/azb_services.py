#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: azb_services
short_description: Run, update and remove services from the central service catalog on an appliance
version_added: 0.1.0
description:
  - The central O(catalog) lists services by name and version with their artefact (an OCI image
    tarball pushed from the controller, or a Debian package version), default configuration and
    health check. O(services) says which of them this appliance runs, at which version.
  - A service runs only if the appliance's O(tenant) is authorized for it in O(tenants); anything
    else is refused with the field path before anything on the box changes.
  - An OCI service is unpacked into C(/var/lib/azblink/services/NAME/rootfs-VERSION) and run by its
    own systemd unit C(azb-svc-NAME.service) with C(RootDirectory=) (no container runtime on the box),
    its configuration files bound read-only at the catalog's C(config_mount), its own journal
    (C(journalctl -t azb-svc-NAME)), enabled for boot.
  - An update unpacks the new version beside the running one and switches the unit; the old root is
    removed only once the new version passes its health check, otherwise the old version is put back
    and the task fails.
  - Services found on the box but no longer listed are stopped and removed (with their artefacts).
  - V(gathered) sets the fact C(azb_services_status) (version, running, enabled, healthy, counters).
author:
  - azblink engineering (@azblink)
extends_documentation_fragment:
  - azblink.nfv.common
options:
  state:
    description:
      - V(present) converges the listed services; V(rendered) validates and returns the units and
        files without touching or reading the box; V(gathered) only reports what runs.
    type: str
    choices: [present, rendered, gathered]
    default: present
  catalog:
    description:
      - The central service catalog. Each entry has C(name), C(version), C(kind) (V(oci) or V(deb)),
        C(artefact) (V(oci) C({image}) the controller path of the image tarball, pushed by the
        C(services) role to C(/var/lib/azblink/artefacts/NAME_VERSION.oci.tar); V(deb)
        C({package, unit})), C(command) (overrides the image's entrypoint), C(environment),
        C(config) (default files C({relative path - content})), C(config_mount) (default C(/config)),
        C(health) (C({type - http|tcp, port, path, timeout_s})).
    type: list
    elements: dict
    default: []
  services:
    description: The catalog services this appliance runs.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: A catalog name., type: str, required: true}
      version: {description: One of its catalog versions., type: str, required: true}
      state: {description: V(absent) removes it., type: str, choices: [started, stopped, absent], default: started}
      config: {description: Files overriding the catalog's default configuration (relative path - content)., type: dict}
  tenant:
    description: The appliance's tenant (required when O(services) is not empty).
    type: str
  tenants:
    description: Tenant name -> the service names it is authorized to run.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Run version 1.1 of the catalog's web portal on this appliance
  azblink.nfv.azb_services:
    catalog:
      - name: portal
        version: "1.1"
        kind: oci
        artefact: {image: /srv/catalog/portal-1.1.oci.tar}
        config: {"motd.txt": "hello"}
        health: {type: http, port: 8081, path: /version}
      - name: ntp
        version: "1:4.2.8p15+dfsg-2~1.2.2+dfsg1-1+deb12u1"
        kind: deb
        artefact: {package: ntpsec, unit: ntpsec.service}
        health: {type: tcp, port: 123}
    tenant: acme
    tenants: {acme: [portal], globex: [portal, ntp]}
    services:
      - {name: portal, version: "1.1"}

- name: Report what runs
  azblink.nfv.azb_services:
    state: gathered
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done.
  returned: when state is present
  type: list
  elements: str
  sample: ["portal: unpack /var/lib/azblink/artefacts/portal_1.1.oci.tar into /var/lib/azblink/services/portal/rootfs-1.1"]
rendered:
  description: The units and files of the listed services by path (state rendered).
  returned: when state is rendered
  type: dict
ansible_facts:
  description: C(azb_services_status), by service name.
  returned: when state is gathered or present
  type: dict
  sample: {"azb_services_status": {"portal": {"version": "1.1", "running": true, "healthy": true,
           "enabled": true, "counters": {"restarts": 0, "memory_bytes": 1040384, "cpu_ns": 5123000}}}}
"""

from ansible_collections.azblink.nfv.plugins.module_utils.audit import AuditedModule
from ansible_collections.azblink.nfv.plugins.module_utils.common.runner import ModuleRunner
from ansible_collections.azblink.nfv.plugins.module_utils.services import catalog_model, catalog_plan
from ansible_collections.azblink.nfv.plugins.module_utils.services import render_unit
from ansible_collections.azblink.nfv.plugins.module_utils.services.adapter import Adapter, ServiceError
from ansible_collections.azblink.nfv.plugins.module_utils.services.catalog_spec import argument_spec
from ansible_collections.azblink.nfv.plugins.module_utils.services.oci import ImageError


def rendered(desired):
    out = {}
    for s in desired.services:
        if s.state == "absent":
            continue
        e = s.entry
        if e.kind == "oci":
            proc = {"argv": e.command or ["(the image's entrypoint)"], "env": {}, "workdir": "/"}
            out["%s/%s" % (render_unit.UNIT_DIR, render_unit.unit_name(e.name))] = render_unit.unit(s, proc)
        for rel, text in sorted(s.config.items()):
            out["%s/%s" % (render_unit.config_dir(e.name), rel)] = text
    return out


def main():
    module = AuditedModule(argument_spec=argument_spec(), supports_check_mode=True)
    state = module.params["state"]
    runner = ModuleRunner(module, (ServiceError, ImageError))
    ad = Adapter(runner.run)
    if state == "gathered":
        module.exit_json(changed=False, ansible_facts={"azb_services_status": catalog_plan.gather(ad, ad.healthy)})
    desired = runner.build(catalog_model.build)
    if state == "rendered":
        module.exit_json(changed=False, rendered=rendered(desired))
    runner.converge(lambda: catalog_plan.plan(desired, ad, module.check_mode),
                    lambda p: catalog_plan.execute(p, ad, ad.healthy),
                    lambda: {"ansible_facts": {"azb_services_status": catalog_plan.gather(ad, ad.healthy)}})


if __name__ == "__main__":
    main()
