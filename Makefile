# azblink.nfv — the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is what those two are made of.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
PYTHON       ?= python3
VENV         := .venv
BIN          := $(VENV)/bin
APPLIANCES   ?= 1
IMAGE        ?= nfv
COLL_ROOT    ?= build/collections
COLL_DIR     := $(COLL_ROOT)/ansible_collections/azblink/nfv
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo -E)
LAB          := $(SUDO) $(abspath $(BIN))/python -m tests.lab.azblab
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath $(COLL_ROOT))
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
# Everything the tools install or cache stays in build/ (the user's home is left as it was): Ansible's
# home (ansible-lint and Molecule place collections there), caches (pip, Molecule's ephemeral dirs).
export ANSIBLE_HOME := $(abspath build/ansible)
# Two Ansible paths do not follow ANSIBLE_HOME: the ssh plugin's control sockets (default ~/.ansible/cp)
# and the temporary files of tasks run on the controller itself (remote_tmp, default ~/.ansible/tmp).
# A control socket's path is at most 107 bytes (the socket name adds about 40): a project deep in the
# file system gets a short directory in /tmp instead.
CONTROL_DIR := $(abspath build/ansible/cp)
ifneq ($(shell [ $$(printf %s '$(CONTROL_DIR)' | wc -c) -le 60 ] && echo short),short)
CONTROL_DIR := /tmp/azb-cp-$(shell id -u)
endif
export ANSIBLE_SSH_CONTROL_PATH_DIR := $(CONTROL_DIR)
export ANSIBLE_REMOTE_TMP := $(abspath build/ansible/remote-tmp)
export XDG_CACHE_HOME := $(abspath build/cache)
# ansible-test keeps its virtualenvs under ~/.ansible/test: it gets a home of its own in build/.
SANITY_HOME := $(abspath build/home)

# Debian packages of the controller and the lab (the appliances get theirs inside the lab).
HOST_PACKAGES := systemd-container debootstrap qemu-system-x86 qemu-utils nftables apt-cacher-ng \
                 dnsmasq-base busybox-static cpio iproute2 iperf3 openssh-client rsync curl \
                 python3-venv git wireguard-go wireguard-tools openvpn iputils-ping tcpdump openssl \
                 frr rsyslog rsyslog-gnutls chromium

.PHONY: help demo test test-quick deps host-deps venv collection lint sanity unit molecule \
        lab-up lab-down lab-status bench build clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## demo        build a lab appliance, converge the whole reference site, show it by traffic, write the evidence report
# One line per step with its time (tests/lab/demo.py); the tools' own output is in build/demo/demo.log.
demo: deps collection
	$(SUDO) $(abspath $(BIN))/python -m tests.lab.demo --appliances $(APPLIANCES) --image $(IMAGE)

## test        everything CI runs: lint, sanity, unit tests, Molecule scenarios on the lab
# Every stage runs even when one before it failed, so the closing summary (stages, scenarios with
# their times, failing test ids, "make test: N passed, N failed, N skipped") is always printed;
# the exit status is non-zero when anything failed.
# The static stages (lint, sanity, unit: about 7 min at nice 10 in a fresh clone) run beside the Molecule
# stage, whose first minutes create appliances and converge (nothing timed there); their output is
# in build/reports/stage-NAME.log, printed when one fails. STATIC_BESIDE=0 runs them first, alone.
# They run at a lower CPU priority (STATIC_NICE): nothing in them is timed, while the scenarios beside
# them time takeovers and failovers, and create the appliances every later scenario waits for.
STATIC_STAGES ?= lint sanity unit
STATIC_BESIDE ?= 1
STATIC_NICE ?= 10
test: deps
	@rm -rf $(REPORTS); mkdir -p $(REPORTS); start=$$(date +%s); rc=0; \
	run_stage() { t=$$(date +%s); \
	  if nice -n $$2 $(MAKE) --no-print-directory $$1 > $(REPORTS)/stage-$$1.log 2>&1; then st=passed; else st=failed; fi; \
	  printf '%s\t%s\t%s\n' $$1 $$st $$(( $$(date +%s) - t )) >> $(REPORTS)/stages.tsv; \
	  echo "stage $$1: $$st in $$(( $$(date +%s) - t ))s (output: $(REPORTS)/stage-$$1.log)"; \
	  if [ $$st = failed ]; then echo "---- last lines of stage $$1 ----"; tail -n 40 $(REPORTS)/stage-$$1.log; echo "----"; fi; }; \
	static() { for stage in $(STATIC_STAGES); do run_stage $$stage $$1 & done; wait; }; \
	if [ "$(STATIC_BESIDE)" = 1 ]; then static $(STATIC_NICE) & pid=$$!; else static 0; fi; \
	t=$$(date +%s); if $(MAKE) --no-print-directory molecule; then st=passed; else st=failed; fi; \
	printf '%s\t%s\t%s\n' molecule $$st $$(( $$(date +%s) - t )) >> $(REPORTS)/stages.tsv; \
	if [ "$(STATIC_BESIDE)" = 1 ]; then wait $$pid || true; fi; \
	echo "make test: all stages done in $$(( $$(date +%s) - start ))s"; \
	$(BIN)/python tests/summarize.py $(REPORTS) || rc=1; exit $$rc

## test-quick  lint and unit tests (no lab)
test-quick: deps lint unit

deps: host-deps venv collection

host-deps:
	@missing=$$(for p in $(HOST_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

## collection  the collection placed at build/collections/ansible_collections/azblink/nfv
collection:
	@mkdir -p $(COLL_DIR)
	@rsync -a --delete --exclude=/.git --exclude=/.venv --exclude=/.venv-sanity --exclude=/.lab --exclude=/build \
	  --exclude=__pycache__ --exclude=.pytest_cache --exclude=/tests/output ./ $(COLL_DIR)/

# ansible-lint installs the project into $(ANSIBLE_HOME)/collections once and reads that copy first:
# drop it so every lint sees the tree as it is now.
lint: venv collection
	rm -rf $(ANSIBLE_HOME)/collections/ansible_collections/azblink
	$(BIN)/ansible-lint --profile production --offline

# The placed copy gets a git index of its own: build/ is git-ignored here, and ansible-test asks git.
# ansible-test pins its own tools (pylint, pycodestyle, ...): they get a virtualenv of their own,
# installed from PyPI by name (ansible-test's --venv would download get-pip from elsewhere).
SANITY_VENV := .venv-sanity
$(SANITY_VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install -q --disable-pip-version-check $$(grep '^ansible-core==' requirements.txt)
	touch $@

# On a copy of its own: it makes the copy a git repository while the other stages read COLL_DIR.
SANITY_COLL_DIR := build/sanity/ansible_collections/azblink/nfv
sanity: $(SANITY_VENV)/.installed collection
	@v=$$($(SANITY_VENV)/bin/python -c "import re,ansible_test,os; \
	  p=os.path.join(os.path.dirname(ansible_test.__file__),'_internal/python_requirements.py'); \
	  print(re.search(r\"pip='([0-9.]+)'\", open(p).read()).group(1).replace('.','_'))"); \
	  mkdir -p $(SANITY_HOME)/.ansible/test/cache; \
	  cp tests/sanity/get_pip_offline.py $(SANITY_HOME)/.ansible/test/cache/get_pip_$$v.py
	@mkdir -p $(SANITY_COLL_DIR) && rsync -a --delete --exclude=/.git --exclude=__pycache__ $(COLL_DIR)/ $(SANITY_COLL_DIR)/
	cd $(SANITY_COLL_DIR) && rm -rf .git && git init -q && git add -A && \
	  HOME=$(SANITY_HOME) PATH=$(abspath $(SANITY_VENV))/bin:$$PATH $(abspath $(SANITY_VENV))/bin/ansible-test \
	  sanity --local --python 3.11 --requirements

# pytest exits 5 when it collected nothing: that is reported as what it is, never as a pass.
REPORTS := $(abspath build/reports)
unit: venv collection
	@mkdir -p $(REPORTS); rc=0; $(BIN)/pytest -q --junitxml=$(REPORTS)/unit.xml || rc=$$?; \
	if [ $$rc = 5 ]; then echo "unit: pytest collected no tests"; exit 1; fi; exit $$rc

## molecule    the Molecule scenarios on the lab, side by side (SCENARIOS="default ...", MOLECULE_JOBS=N)
# Longest first, so the short ones fill in around them; each scenario has its own appliances.
SCENARIOS ?= fleet site observability chain services workloads routing multisite wan ha qos zones integrator default
MOLECULE_JOBS ?= 3
# Verified alone: the wan scenario's failover and no-flap checks time a health service that two other
# scenarios on the same two cores starve of CPU (false WAN-down, flushed flows). Its set-up (create,
# prepare, converge, idempotence) runs beside the others; only its verify step waits for the lab.
SOLO_SCENARIOS ?= wan
molecule: venv collection
	@mkdir -p $(REPORTS)
	$(BIN)/python tests/run_scenarios.py --jobs $(MOLECULE_JOBS) --solo "$(SOLO_SCENARIOS)" \
	  --reports $(REPORTS) $(SCENARIOS)

## lab-up      start APPLIANCES=N lab appliances (IMAGE=nfv|base); writes .lab/inventory.yml
lab-up: deps
	$(LAB) up $(APPLIANCES) --image $(IMAGE)

## lab-down    remove everything the lab created
lab-down: venv
	$(LAB) down

lab-status: venv
	$(LAB) status

## bench       benchmarks (not tests): see bench/README.md
bench: deps
	$(SUDO) $(BIN)/python -m bench.run

## build       the collection tarball
build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path build/

clean:
	rm -rf build .pytest_cache
