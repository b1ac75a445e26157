"""The top-level lazy API: every advertised name resolves, and importing is cheap."""

import subprocess
import sys

import pytest

import xraynet


@pytest.mark.parametrize("name", sorted(xraynet._LAZY))
def test_every_top_level_name_resolves_to_its_subpackage_object(name):
    import importlib

    obj = getattr(xraynet, name)
    module = importlib.import_module(xraynet._LAZY[name])
    assert obj is getattr(module, name)
    assert name in module.__all__


def test_every_subpackage_imports_and_lists_its_public_names():
    import importlib

    for sub in xraynet._SUBPACKAGES:
        module = importlib.import_module(f"xraynet.{sub}")
        for name in module.__all__:
            assert hasattr(module, name), f"xraynet.{sub}.__all__ names missing {name}"


def test_import_xraynet_does_not_start_tensorflow():
    code = "import sys, xraynet; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        xraynet.NotAThing  # noqa: B018
