"""Sphinx configuration for the xraynet documentation."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent.resolve()
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import xraynet  # noqa: E402

project = "xraynet"
author = "The xraynet developers"
copyright = "2026, the xraynet developers"
release = xraynet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_inv", "Thumbs.db", ".DS_Store", "**/sg_execution_times.rst"]
html_theme = "pydata_sphinx_theme"
html_title = f"xraynet {release}"
html_static_path = ["_static"]
html_theme_options = {"show_toc_level": 2, "navigation_with_keys": False}

autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# Online inventories first, the offline copies in _inv/ second (CI has no network).
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", (None, "_inv/sklearn.inv")),
    "numpy": ("https://numpy.org/doc/stable/", (None, "_inv/numpy.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", (None, "_inv/pandas.inv")),
    "keras": ("https://keras.io/", (None, "_inv/keras.inv")),
}
intersphinx_timeout = 5

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "plot_gallery": "True",
}

# sphinx-gallery copies the figures it makes; nothing else needs warning-free care.
suppress_warnings = ["config.cache"]
