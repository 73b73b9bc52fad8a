"""The compile cache the fleet_report callback installs in the controller's main process: a
template or condition compiled once (by the main process before a fork, or by the first task that
meets it) is not compiled again, and renders as before. In a fresh interpreter: the cache wraps a
class of ansible-core, and the rest of this test run must not see it."""
import json

from ansible_collections.azblink.nfv.plugins.plugin_utils.template_compile_cache import template_strings
from tests.unit import fresh_interpreter

PROBE = r"""
import json
from ansible._internal._templating import _jinja_bits
from ansible.template import Templar, trust_as_template
from ansible_collections.azblink.nfv.plugins.plugin_utils import template_compile_cache as cache

compiles = []
original = _jinja_bits.AnsibleEnvironment.compile
def counting(self, source, *args, **kwargs):
    compiles.append(source if isinstance(source, str) else "<tree>")
    return original(self, source, *args, **kwargs)
_jinja_bits.AnsibleEnvironment.compile = counting   # under the cache: counts the real compiles
out = {"installed": cache.install(), "again": cache.install()}
templar = Templar(variables={"a": 1, "b": [1, 2, 3], "s": "x"})
t = trust_as_template("{{ a + 1 }}")
out["first"] = templar.template(t)
out["second"] = Templar(variables={"a": 41}).template(trust_as_template("{{ a + 1 }}"))
out["compiles_after_two_renders"] = compiles.count("{{ a + 1 }}")
out["precompiled"] = cache.precompile(["{{ b | length }}"], ["a == 1 "])
before = len(compiles)
out["length"] = templar.template(trust_as_template("{{ b | length }}"))
out["condition"] = templar.evaluate_conditional(trust_as_template(" a == 1"))
out["compiles_after_precompiled_renders"] = len(compiles) - before
# Backslash escaping changes the compiled code: the same text compiled both ways is two entries.
text = '{{ "a\\tb" | length }}'   # a, backslash, t, b when escaped; a, TAB, b when not
out["escaped"] = templar.template(trust_as_template(text))
out["not_escaped"] = templar.template(trust_as_template(text), escape_backslashes=False)
out["escaped_again"] = templar.template(trust_as_template(text))
print(json.dumps(out))
"""


def test_a_template_or_condition_compiles_once_and_renders_the_same():
    res = fresh_interpreter.run(PROBE)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["installed"] is True and out["again"] is True
    assert out["first"] == 2 and out["second"] == 42, "a cached template rendered another box's variables"
    assert out["compiles_after_two_renders"] == 1
    assert out["precompiled"] == 2
    assert out["length"] == 3 and out["condition"] is True
    assert out["compiles_after_precompiled_renders"] == 0, "what the main process compiled was compiled again"
    assert (out["escaped"], out["not_escaped"], out["escaped_again"]) == (4, 3, 4)


def test_the_strings_that_may_be_templates_are_found_in_nested_values():
    value = {"a": "plain", "b": ["{{ x }}", {"c": "{% if y %}z{% endif %}"}], "d": 3, "e": ("{{ w }}",)}
    assert sorted(template_strings(value)) == ["{% if y %}z{% endif %}", "{{ w }}", "{{ x }}"]
