"""The renderers are pure: the same model gives the same text, with the lines that carry the intent."""
from ansible_collections.azblink.nfv.plugins.module_utils.services import edge_model, render_haproxy, render_squid

from .conftest import EDGE, edge_with


def lines(text):
    return [line.strip() for line in text.splitlines()]


def test_haproxy_frontends_backends_and_checks():
    text = render_haproxy.render(edge_model.build(EDGE))
    got = lines(text)
    assert text.startswith(render_haproxy.HEADER)
    assert "bind 10.3.0.1:8080" in got and "option forwardfor" in got
    assert "bind 10.3.0.1:8443 ssl crt /etc/azblink/services/tls/www.pem" in got
    assert "bind :9000" in got and "server e1 10.2.0.11:9100 send-proxy-v2 check-send-proxy" in got
    assert "option httpchk GET /health" in got and "timeout check 300ms" in got
    assert ("default-server check inter 300ms fastinter 300ms downinter 300ms fall 2 rise 2"
            " on-marked-down shutdown-sessions") in got
    assert got.count("server web1 10.2.0.11:8000") == 2
    # The tcp balancer has no HTTP check and no X-Forwarded-For.
    echo = text[text.index("backend be_echo"):]
    assert "httpchk" not in echo and "forwardfor" not in text[text.index("frontend fe_echo"):]


def test_haproxy_renders_the_checker_directory_for_tls():
    text = render_haproxy.render(edge_model.build(EDGE), tls_dir="/tmp/x")
    assert "ssl crt /tmp/x/www.pem" in text


def test_haproxy_is_deterministic():
    assert render_haproxy.render(edge_model.build(EDGE)) == render_haproxy.render(edge_model.build(EDGE))


def test_squid_denies_before_it_allows_and_ends_with_deny_all():
    got = lines(render_squid.render(edge_model.build(EDGE).proxy))
    assert "http_port 10.3.0.1:3128" in got
    assert "acl azb_allowed src 10.3.0.0/24 10.9.0.0/24" in got
    assert "acl azb_denied dstdomain -n .blocked.test" in got
    order = [got.index(x) for x in ("http_access deny azb_denied", "http_access allow azb_allowed",
                                    "http_access deny all")]
    assert order == sorted(order) and got[order[-1]] == "http_access deny all"
    assert "access_log daemon:/var/log/squid/access.log squid" in got


def test_squid_without_denied_domains_has_no_empty_acl():
    got = lines(render_squid.render(edge_model.build(edge_with("forward_proxy.deny_domains", [])).proxy))
    assert not any("azb_denied" in x for x in got)
    assert "http_port 10.3.0.1:3128" in got
