"""Steering decisions: per-connection spread, bypass and block, symmetric replies, proxies."""
from ansible_collections.azblink.nfv.plugins.module_utils.chain import model, render, steer

ALL = {"fw1", "ips1", "proxy1", "proxy2"}


def chain(example):
    return render.chain_data(model.build(example))[0]


def test_forward_path_with_everything_up(example):
    c = chain(example)
    fw, ips = c["hops"][0]["instances"][0], c["hops"][1]["instances"][0]
    assert steer.forward(c, ALL, 0, 0) == fw["route_in"]
    assert steer.forward(c, ALL, 1, 0) == ips["route_in"]
    assert steer.forward(c, ALL, 3, 0) == c["exit_route"] == 1


def test_instances_share_connections_by_bucket_and_keep_them_on_failure(example):
    c = chain(example)
    p1, p2 = c["hops"][2]["instances"]
    spread = [steer.forward(c, ALL, 2, b) for b in range(steer.BUCKETS)]
    assert spread.count(p1["route_in"]) == spread.count(p2["route_in"]) == steer.BUCKETS // 2
    after = [steer.forward(c, ALL - {"proxy2"}, 2, b) for b in range(steer.BUCKETS)]
    assert all(r == p1["route_in"] for r in after)
    # Buckets that were on proxy1 stay there (only the failed instance's flows move).
    assert all(b == a for a, b in zip(spread, after) if a == p1["route_in"])


def test_bypass_skips_a_dead_hop_and_block_drops(example):
    c = chain(example)
    assert steer.forward(c, ALL - {"proxy1", "proxy2"}, 2, 0) == c["exit_route"]
    assert steer.forward(c, ALL - {"ips1"}, 1, 0) == steer.ROUTE_DROP
    assert steer.forward(c, ALL - {"ips1"}, 0, 0) == c["hops"][0]["instances"][0]["route_in"]


def test_replies_go_back_through_the_same_hops(example):
    c = chain(example)
    fw, ips = c["hops"][0]["instances"][0], c["hops"][1]["instances"][0]
    # From the exit, the last hop is a proxy: its own connection, delivered by the main table.
    assert steer.reverse(c, ALL, 4, 0) == steer.ROUTE_MAIN
    # Proxy bypassed: replies from the exit go back into the IPS by its out side.
    assert steer.reverse(c, ALL - {"proxy1", "proxy2"}, 4, 0) == ips["route_out"]
    assert steer.reverse(c, ALL, 3, 0) == ips["route_out"]
    assert steer.reverse(c, ALL, 2, 0) == fw["route_out"]
    assert steer.reverse(c, ALL, 1, 0) == steer.ROUTE_MAIN
    assert steer.reverse(c, ALL - {"fw1"}, 2, 0) == steer.ROUTE_DROP


def test_update_script_rewrites_every_map_in_one_script(example):
    c = chain(example)
    script = steer.nft_update("azblink_chain", [c], ALL)
    names = steer.map_names(c)
    assert len(names) == 2 * len(c["hops"]) + 2
    for name in names:
        assert "flush map inet azblink_chain %s\n" % name in script
    assert script.count("add element") == len(names)
