"""The examples in the package's docstrings are true, and every public name
has a docstring."""

import doctest
import inspect

import pytest

import matdiff
import matdiff._api
import matdiff._results


@pytest.mark.parametrize("module", [matdiff, matdiff._api], ids=["matdiff", "_api"])
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"matdiff": matdiff}, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_public_name_is_documented():
    for name in matdiff.__all__:
        obj = getattr(matdiff, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), name
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member):
                        assert inspect.getdoc(member), f"{name}.{attr}"
