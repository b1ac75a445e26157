"""The release artefacts: sdist + wheel build, pass ``twine check``, and the wheel works.

Builds in a temporary folder and installs the wheel into a fresh virtual environment.
The fresh environment borrows the already-installed third-party dependencies through a
``.pth`` file (CI has no time to download TensorFlow twice), but xraynet itself comes
only from the wheel: the test checks where it was imported from.
"""

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd, cwd=None):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory):
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: use this environment's setuptools instead of downloading one.
    _run(
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--sdist",
        "--wheel",
        "--outdir",
        str(out),
        str(ROOT),
    )
    return out


def test_build_produces_sdist_and_wheel_that_pass_twine(dist_dir):
    pytest.importorskip("twine")
    wheels = list(dist_dir.glob("xraynet-*.whl"))
    sdists = list(dist_dir.glob("xraynet-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    out = _run(sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists))
    assert out.count("PASSED") == 2


def test_wheel_contents_exclude_tests_and_include_every_subpackage(dist_dir):
    import zipfile

    import xraynet

    wheel = next(dist_dir.glob("xraynet-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if "/tests/" in n]
    for sub in (
        "io",
        "datasets",
        "augmentation",
        "models",
        "classical",
        "model_selection",
        "metrics",
        "plotting",
        "explain",
        "utils",
    ):
        assert f"xraynet/{sub}/__init__.py" in names, sub
    assert f"xraynet-{xraynet.__version__}.dist-info/METADATA" in names


def test_wheel_installs_into_fresh_venv_and_cli_runs(dist_dir, tmp_path):
    wheel = next(dist_dir.glob("xraynet-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        _run(str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    (site / "_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel))
    # cwd=tmp_path: `python -c` puts the current folder first on sys.path, and the
    # repository root would shadow the installed wheel.
    where = _run(
        str(py), "-c", "import xraynet; print(xraynet.__file__, xraynet.__version__)", cwd=tmp_path
    )
    assert str(env_dir) in where, f"xraynet was not imported from the wheel: {where}"
    out = _run(str(env_dir / "bin" / "xraynet"), "--help", cwd=tmp_path)
    assert "compare" in out and "predict" in out
