"""The check every table-driven bad-input test makes: the input is refused, with the field path
and the words the user reads."""
import pytest

from ansible_collections.azblink.nfv.plugins.module_utils.errors import ValidationError


def assert_refused(call, path, words, error=ValidationError):
    """``call()`` raises ``error`` for ``path`` whose reason says ``words``; -> the error."""
    with pytest.raises(error) as exc:
        call()
    assert exc.value.path == path, str(exc.value)
    assert words in exc.value.reason, str(exc.value)
    return exc.value
