"""The renderers: the steering table loads as nft text, rules and files follow the model."""
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, render, steer


def test_example_renders(example):
    site = model.build(example)
    text = render.nft_table(site, alive={"fw1", "ips1", "proxy1", "proxy2"})
    assert "table inet azblink_chain {" in text
    assert 'iifname "br3" fib daddr type != local meta l4proto tcp th dport 80 meta mark set symhash mod 16 map @c1_f0' in text
    files = render.files(site)
    assert "/etc/azblink/chain/vnf/ips1.rules" in files
    assert files["/etc/azblink/chain/vnf/ips1.rules"].startswith("drop http")
    assert "950 fwmark 0x10000/0xfff0000 lookup 102" in render.rules(site)
