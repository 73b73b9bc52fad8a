"""haproxy's show stat CSV becomes the per-balancer, per-server status of the fact."""
from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_status

# The first columns of haproxy 2.6's show stat (the header line starts with "# ").
COLUMNS = ("pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,"
           "status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,"
           "type,rate,rate_lim,rate_max,check_status,")
STAT = "# " + COLUMNS + """
fe_web,FRONTEND,,,1,3,262124,42,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,5,,
be_web,web1,0,0,0,1,,30,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,10,0,,1,3,1,,30,,2,0,,2,L7OK,
be_web,web2,0,0,0,1,,12,0,0,,0,,0,0,0,0,DOWN,1,1,0,3,1,2,4,,1,3,2,,12,,2,0,,1,L7TOUT,
be_web,BACKEND,0,0,0,1,,42,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,10,0,,1,3,0,,42,,1,0,,2,,
stats,FRONTEND,,,0,0,2000,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,1,0,,,,0,0,0,0,,
"""


class Units(object):
    def unit_active(self, unit):
        return unit == "haproxy.service"

    def unit_enabled(self, unit):
        return True


def test_servers_and_frontends_by_balancer():
    got = edge_status.parse_stat(STAT)
    assert list(got) == ["web"]
    assert got["web"]["frontend"] == {"status": "OPEN", "sessions_total": 42, "sessions_current": 1}
    assert got["web"]["servers"]["web2"] == {"status": "DOWN", "sessions_total": 12, "sessions_current": 0,
                                             "check": "L7TOUT", "downtime_s": 4}
    assert got["web"]["servers"]["web1"]["status"] == "UP"


def test_gather_reports_units_and_balancers():
    fact = edge_status.gather(Units(), stat_text=STAT)
    assert fact["haproxy"]["running"] and not fact["squid"]["running"]
    assert fact["haproxy"]["balancers"]["web"]["servers"]["web1"]["check"] == "L7OK"
