"""The fleet report's batches follow the play's order (order: sorted), not the inventory file's:
ansible-runner's inventory (AWX's layout) and ansible-playbook's may list the same hosts otherwise,
and the fleet scenario compares the two runs' batches."""
from ansible import context
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.utils.context_objects import CLIArgs

from ansible_collections.azblink.nfv.plugins.callback.fleet_report import CallbackModule


class Play(object):
    def __init__(self, inventory, order):
        self.vars, self.hosts, self.order, self.check_mode = {"azb_fleet_report": "rollout"}, "fleet", order, False
        self._inventory = inventory

    def get_variable_manager(self):
        return self


def test_a_batch_is_listed_in_the_plays_order(tmp_path):
    inv_file = tmp_path / "hosts.yml"
    inv_file.write_text("fleet:\n  hosts:\n    b3: {}\n    b1: {}\n    b2: {}\n")
    inventory = InventoryManager(loader=DataLoader(), sources=[str(inv_file)])
    inventory.restrict_to_hosts([inventory.get_host(h) for h in ("b2", "b3", "b1")])
    context.CLIARGS = CLIArgs({"check": False})
    cb = CallbackModule()
    cb.v2_playbook_on_play_start(Play(inventory, "sorted"))
    assert cb._current.as_dict()["batches"] == [["b1", "b2", "b3"]]
    cb2 = CallbackModule()
    cb2.v2_playbook_on_play_start(Play(inventory, "inventory"))
    assert cb2._current.as_dict()["batches"] == [["b3", "b1", "b2"]]
