"""How the plan learns what runs: from the nftables generation when nothing changed nftables since
the last apply (no listing read), from listings otherwise; what it applies either way."""
import copy

import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.zones import model, nft_state, plan as zplan
from ansible_collections.azblink.nfv.plugins.module_utils.zones import render_networkd, render_nft

from .test_model import GOOD

GEN = ["boot", 4026531840, 41]


class FakeNft(object):
    """The adapter's surface, in memory. ``tables``: the text loaded (our tables' stand-in listing)."""

    def __init__(self):
        self.generation_now = list(GEN)
        self.tables = ""
        self.state = None
        self.applied = None
        self.applied_in_boot_file = False
        self.calls = []

    def generation(self):
        return list(self.generation_now)

    def live(self):
        self.calls.append("live")
        return self.tables

    def canonical(self, text):
        self.calls.append("canonical")
        return text

    def apply(self, text):
        self.calls.append(("apply", text))
        self.generation_now[2] += 1
        if not text.startswith("add element") and not text.startswith("delete element"):
            self.tables = text

    def read_state(self):
        return copy.deepcopy(self.state)

    def save_state(self, sha256, listing, generation=None):
        self.state = {"sha256": sha256, "listing": listing, "generation": generation}

    def read_applied(self):
        return PERSISTED[0] if self.applied_in_boot_file else self.applied

    def save_applied(self, text, in_boot_file=False):
        self.applied, self.applied_in_boot_file = (None, True) if in_boot_file else (text, False)

    def persist(self, text):
        self.calls.append("persist")
        PERSISTED[0] = text

    def schedule_rollback(self, seconds, removal, current=None):
        self.calls.append(("rollback armed", current))

    def stage_pending(self, text):
        self.calls.append("pending")


class FakeNet(object):
    def __init__(self, site):
        self.have = render_networkd.render(site)
        self.up = render_networkd.expected_links(site)

    def files(self):
        return dict(self.have)

    def links(self):
        return dict(self.up)


PERSISTED = [None]   # the boot file's text


@pytest.fixture(autouse=True)
def persisted_file(monkeypatch):
    PERSISTED[0] = None
    monkeypatch.setattr(zplan, "_read", lambda path: PERSISTED[0])


def site(extra_port=None):
    doc = copy.deepcopy(GOOD)
    if extra_port:
        doc["policies"].append({"name": "extra", "from": ["office"], "to": ["web"], "proto": "tcp",
                                "ports": [str(extra_port)]})
    return model.build(doc)


def converge(s, nft, exact=False):
    p = zplan.plan(s, nft, FakeNet(s), exact=exact)
    if p.changed:
        zplan.execute(p, nft, FakeNet(s))
    else:
        zplan.save_state(p, nft)
    return p


def test_from_nothing_loads_the_file_whole_without_a_scratch_load():
    nft = FakeNft()
    p = converge(site(), nft)
    assert p.nft_change and p.element_txn is None and "canonical" not in nft.calls
    assert nft.calls.count("live") == 1 and ("apply", p.ruleset_text) in nft.calls
    assert nft.state["generation"] == ["boot", 4026531840, 42] and nft.read_applied() == p.ruleset_text


def test_unchanged_generation_and_text_is_a_no_op_without_reading_the_box():
    nft = FakeNft()
    converge(site(), nft)
    nft.calls = []
    p = converge(site(), nft)
    assert p.fast and not p.changed and nft.calls == []


def test_unchanged_generation_new_entry_is_an_element_update_of_the_two_texts():
    nft = FakeNft()
    first = converge(site(), nft)
    nft.calls = []
    p = converge(site(extra_port=8443), nft)
    assert p.fast and "live" not in nft.calls
    assert p.element_txn == nft_state.element_changes(first.ruleset_text, p.ruleset_text)
    assert p.element_txn.startswith("add element inet azblink acl4_allow {") and "8443" in p.element_txn
    assert nft.state["generation"][2] == 43 and nft.read_applied() == p.ruleset_text


def test_a_moved_generation_compares_listings():
    nft = FakeNft()
    converge(site(), nft)
    nft.generation_now[2] += 5            # someone changed nftables (another table, a rollback, ...)
    nft.calls = []
    p = converge(site(), nft)
    assert not p.fast and not p.nft_change and nft.calls[:2] == ["live", "canonical"]
    assert nft.state["generation"][2] == 47   # the new generation is remembered: next time fast again
    nft.calls = []
    assert converge(site(), nft).fast and "live" not in nft.calls


def test_drift_under_a_moved_generation_is_repaired():
    nft = FakeNft()
    converge(site(), nft)
    nft.tables = nft.tables.replace("5432", "5433")
    nft.generation_now[2] += 1
    p = converge(site(), nft)
    assert p.nft_change and not p.fast


def test_a_stale_applied_copy_is_not_trusted():
    nft = FakeNft()
    converge(site(), nft)
    PERSISTED[0] = "something else"     # the boot file (the applied copy without a pending change) edited
    p = converge(site(extra_port=8443), nft)
    assert not p.fast and "live" in nft.calls


def test_the_boot_file_is_the_applied_copy_unless_a_confirmation_is_pending():
    nft = FakeNft()
    first = converge(site(), nft)
    assert nft.applied is None and nft.read_applied() == PERSISTED[0] == first.ruleset_text
    s = site(extra_port=8443)
    p = zplan.plan(s, nft, FakeNet(s))
    zplan.execute(p, nft, FakeNet(s), confirm_timeout=60)
    # the boot file keeps the confirmed text; the next run diffs against the one applied
    assert PERSISTED[0] == first.ruleset_text and nft.read_applied() == p.ruleset_text
    nft.calls = []
    assert converge(site(extra_port=8443), nft).fast and "live" not in nft.calls


def test_diff_mode_reads_listings():
    nft = FakeNft()
    converge(site(), nft)
    nft.calls = []
    p = zplan.plan(site(extra_port=8443), nft, FakeNet(site()), exact=True)
    assert not p.fast and "live" in nft.calls and p.live and p.desired


def test_another_change_during_the_apply_leaves_no_generation():
    nft = FakeNft()
    real_apply = nft.apply

    def apply_and_race(text):
        real_apply(text)
        nft.generation_now[2] += 1
    nft.apply = apply_and_race
    converge(site(), nft)
    assert nft.state["generation"] is None


def test_rendered_texts_split_like_listings():
    text = render_nft.render(site(extra_port=8443))
    structure, elements = nft_state.split(text)
    assert "elements" not in structure
    assert any("8443" in e for e in elements[("inet", "azblink", "acl4_allow")])


def test_the_rollback_snapshot_of_a_fast_change_is_the_text_that_ran():
    nft = FakeNft()
    first = converge(site(), nft)
    s = site(extra_port=8443)
    p = zplan.plan(s, nft, FakeNet(s))
    zplan.execute(p, nft, FakeNet(s), confirm_timeout=60)
    assert ("rollback armed", first.ruleset_text) in nft.calls and "pending" in nft.calls


def test_a_vlan_zone_removed_takes_its_vlan_device_and_trunk_file_with_it():
    doc = copy.deepcopy(GOOD)
    doc["zones"].append({"name": "voice", "role": "restricted", "bridge": "br4", "interfaces": ["eno2.30"],
                         "address": ["10.4.0.1/24"]})
    with_vlan, without = model.build(doc), site()
    p = zplan.plan(without, FakeNft(), FakeNet(with_vlan))
    assert p.links_remove == ["br4", "eno2.30"]
    assert set(p.files_stale) == {"40-azb-br4.netdev", "40-azb-br4.network", "40-azb-eno2.30.netdev",
                                  "40-azb-eno2.30.network", "40-azb-eno2.network"}
    # and added: the trunk, which is no NIC here, is named missing until it exists
    p = zplan.plan(with_vlan, FakeNft(), FakeNet(without))
    assert "eno2: missing" in p.link_problems and "eno2.30" in p.links_touch
