"""collection_files.role_argument_spec: a role's entry-point options as its spec file declares them;
a role without a spec file has none to check; a name that is no role of the collection is refused."""
import pytest

from ansible_collections.azblink.nfv.plugins.plugin_utils import collection_files


def test_a_role_spec_is_read_from_its_file(tmp_path):
    meta = tmp_path / "roles" / "r" / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      azb_x: {type: int}\n  other:\n    options:\n      azb_y: {type: str}\n")
    assert collection_files.role_argument_spec("r", root=str(tmp_path)) == {"azb_x": {"type": "int"}}
    assert collection_files.role_argument_spec("r", "other", root=str(tmp_path)) == {"azb_y": {"type": "str"}}
    assert collection_files.role_argument_spec("r", "none", root=str(tmp_path)) == {}


def test_a_role_without_a_spec_has_nothing_to_check_and_an_unknown_role_is_refused(tmp_path):
    (tmp_path / "roles" / "bare" / "tasks").mkdir(parents=True)
    assert collection_files.role_argument_spec("bare", root=str(tmp_path)) == {}
    with pytest.raises(ValueError, match="no role 'nosuch' in the collection"):
        collection_files.role_argument_spec("nosuch", root=str(tmp_path))


def test_every_role_the_site_can_include_has_a_spec():
    for role in ("wan", "qos", "pki", "vpn", "workloads", "services", "routing", "chains", "observability"):
        assert collection_files.role_argument_spec(role), role
