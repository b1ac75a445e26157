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
html_static_path = []
html_theme_options = {"show_toc_level": 2, "navigation_with_keys": False}

autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every documented parameter and return value is described; summaries are capitalised.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "PR06", "PR10", "RT01", "GL08", "SS02"}
# Dask calls the worker plugin's hooks; their arguments are Dask's, documented there.
# The two scorers are scikit-learn scorer instances, which carry no docstring of their own.
numpydoc_validation_exclude = {
    r"TensorFlowWorkerPlugin\.(setup|teardown|transition)$",
    r"\.(sensitivity|specificity)_scorer$",
}

# Online inventories first, the offline copies in _inv/ second (CI has no network).
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", (None, "_inv/sklearn.inv")),
    "numpy": ("https://numpy.org/doc/stable/", (None, "_inv/numpy.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", (None, "_inv/pandas.inv")),
    "keras": ("https://keras.io/", (None, "_inv/keras.inv")),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", (None, "_inv/joblib.inv")),
    "skimage": ("https://scikit-image.org/docs/stable/", (None, "_inv/skimage.inv")),
    "python": ("https://docs.python.org/3/", (None, "_inv/python.inv")),
    "distributed": ("https://distributed.dask.org/en/stable/", (None, "_inv/distributed.inv")),
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
    # "Examples using X" mini-galleries on the API pages.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("xraynet",),
    "reference_url": {"xraynet": None},
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
}

# sphinx-gallery copies the figures it makes; nothing else needs warning-free care.
suppress_warnings = ["config.cache"]

# Every cross-reference must resolve (with -W a broken one fails the build). A reference to an
# external name that is missing from the offline inventories: add it to
# docs/_inv/make_inventories.py and run that script (CI has no network).
nitpicky = True


# --- xraynet names documented under their sub-package -------------------------------------
# The API reference documents every public name once, under its sub-package
# (``xraynet.io.ImageLoader``). Docstrings also write the top-level aliases
# (``xraynet.ImageLoader``) or re-exports (``xraynet.plotting.GradCAMDisplay``); resolve those
# to the documented name instead of leaving the reference unlinked.

# scikit-learn API methods worth listing on every estimator page even when inherited.
_SKLEARN_API = {"fit_transform", "score", "get_params", "set_params", "get_feature_names_out"}
_BUILTIN_DESCRIPTORS = {
    "getset_descriptor",
    "member_descriptor",
    "method_descriptor",
    "wrapper_descriptor",
    "builtin_function_or_method",
}


def _skip_member(app, what, name, obj, skip, options):
    """Document xraynet's own members, not scikit-learn internals.

    Classes are documented with their inherited members (``fit`` of a Keras estimator comes
    from ``BaseImageClassifier``), so skip what comes from outside xraynet: scikit-learn's
    metadata-routing setters, ``set_output`` and other inherited helpers.
    """
    if what != "class":
        return None
    if name == "set_output" or (name.startswith("set_") and name.endswith("_request")):
        return True
    if name in _SKLEARN_API:
        return None
    if type(obj).__name__ in _BUILTIN_DESCRIPTORS:  # e.g. BaseException.args, .with_traceback
        return True
    target = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
    module = getattr(target, "__module__", None) or ""
    if (callable(target) or isinstance(obj, property)) and not module.startswith("xraynet"):
        return True
    return None


def _canonical_name(target):
    """``xraynet.ImageLoader.fit`` -> ``xraynet.io.ImageLoader.fit`` (None if unknown)."""
    import importlib

    parts = target.split(".")
    obj, i = None, len(parts)
    while i > 0:
        try:
            module = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
    else:
        return None
    if i >= len(parts):
        return None
    try:
        obj = getattr(module, parts[i])
    except Exception:
        return None
    home = getattr(obj, "__module__", None)
    if not home or not home.startswith("xraynet"):
        return None
    public = ".".join(p for p in home.split(".") if not p.startswith("_"))
    return ".".join([public, parts[i], *parts[i + 1 :]])


def _resolve_alias(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("xraynet."):
        return None
    canonical = _canonical_name(target)
    if not canonical or canonical == target:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("missing-reference", _resolve_alias)
