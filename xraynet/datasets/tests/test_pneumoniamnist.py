import functools
import hashlib
import http.server
import shutil
import threading

import numpy as np
import pytest

from xraynet.datasets import _pneumoniamnist, fetch_pneumoniamnist


# --------------------------------------------------------------------- the shared real file
def test_real_splits(pneumoniamnist_path):
    home = pneumoniamnist_path.parent
    expected = {"train": 4708, "val": 524, "test": 624, "train+val": 5232}
    for split, n in expected.items():
        X, y = fetch_pneumoniamnist(split=split, data_home=home, download=False)
        assert X.shape == (n, 28, 28, 1) and X.dtype == np.uint8
        assert y.shape == (n,) and y.dtype.kind == "i"
        assert set(np.unique(y)) == {0, 1}
        assert 0.6 < y.mean() < 0.8  # pneumonia is the majority class
        assert X.std() > 10  # real images, not blanks
    Xtr, _ = fetch_pneumoniamnist(split="train", data_home=home, download=False)
    Xtv, _ = fetch_pneumoniamnist(split="train+val", data_home=home, download=False)
    assert np.array_equal(Xtv[:4708], Xtr)


def test_data_home_defaults_to_env(pneumoniamnist_path, monkeypatch):
    monkeypatch.setenv("XRAYNET_DATA", str(pneumoniamnist_path.parent))
    data = fetch_pneumoniamnist(split="test", download=False, return_X_y=False)
    assert data.images.shape == (624, 28, 28, 1) and data.target.shape == (624,)
    assert data.target_names.tolist() == ["normal", "pneumonia"]
    assert "PneumoniaMNIST" in data.DESCR


# --------------------------------------------------------------------- argument errors
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "validation"}, "split must be"),
        ({"size": 32}, "size must be"),
        ({"size": "28"}, "size must be"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fetch_pneumoniamnist(data_home=tmp_path, download=False, **kwargs)


def test_missing_without_download(tmp_path):
    with pytest.raises(FileNotFoundError) as exc:
        fetch_pneumoniamnist(size=64, data_home=tmp_path, download=False)
    msg = str(exc.value)
    assert str(tmp_path / "pneumoniamnist_64.npz") in msg
    assert "zenodo.org/records/10519652" in msg and "download=True" in msg


# --------------------------------------------------------------------- corrupt / wrong files
def _fake_npz(path, size=28, n=(6, 3, 4)):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, k in zip(("train", "val", "test"), n):
        arrays[f"{split}_images"] = rng.integers(0, 256, (k, size, size), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(k) % 2).astype(np.uint8)[:, None]
    np.savez_compressed(path, **arrays)
    return arrays


@pytest.mark.parametrize("fraction", [0.3, 0.9])
def test_truncated_npz(tmp_path, fraction):
    path = tmp_path / "pneumoniamnist.npz"
    _fake_npz(path, n=(50, 10, 10))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match=r"pneumoniamnist\.npz is not a valid PneumoniaMNIST"):
        fetch_pneumoniamnist(data_home=tmp_path, download=False)


@pytest.mark.parametrize("content", [b"", b"<html>Not found</html>", b"PK\x03\x04garbage"])
def test_garbage_npz(tmp_path, content):
    (tmp_path / "pneumoniamnist.npz").write_bytes(content)
    with pytest.raises(ValueError, match="not a valid PneumoniaMNIST file"):
        fetch_pneumoniamnist(data_home=tmp_path, download=False)


def test_wrong_structure(tmp_path):
    path = tmp_path / "pneumoniamnist.npz"
    np.savez(path, train_images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="train_labels"):
        fetch_pneumoniamnist(data_home=tmp_path, download=False)
    np.savez(path, train_images=np.zeros((2, 64, 64), np.uint8), train_labels=np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        fetch_pneumoniamnist(data_home=tmp_path, download=False)
    np.savez(path, train_images=np.zeros((2, 28, 28), np.uint8), train_labels=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="train_labels must have shape"):
        fetch_pneumoniamnist(data_home=tmp_path, download=False)


def test_local_file_not_checked_by_md5(tmp_path, monkeypatch):
    arrays = _fake_npz(tmp_path / "pneumoniamnist_64.npz", size=64)
    monkeypatch.setitem(
        _pneumoniamnist.PNEUMONIAMNIST_FILES, 64, ("http://invalid.invalid/", "0" * 32)
    )
    X, y = fetch_pneumoniamnist(split="val", size=64, data_home=tmp_path)
    assert X.shape == (3, 64, 64, 1)
    assert np.array_equal(X[..., 0], arrays["val_images"])
    assert y.tolist() == [0, 1, 0]


# --------------------------------------------------------------------- offline download
@pytest.fixture
def served(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving a small valid npz: (url, md5, arrays)."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    root = tmp_path / "server"
    root.mkdir()
    arrays = _fake_npz(root / "pneumoniamnist.npz", n=(300, 30, 40))
    md5 = hashlib.md5((root / "pneumoniamnist.npz").read_bytes()).hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pneumoniamnist.npz?download=1"
        yield url, md5, arrays
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_download_http(served, tmp_path, monkeypatch):
    url, md5, arrays = served
    monkeypatch.setitem(_pneumoniamnist.PNEUMONIAMNIST_FILES, 28, (url, md5))
    home = tmp_path / "home" / "nested"  # created on demand
    X, y = fetch_pneumoniamnist(split="test", data_home=home)
    assert X.shape == (40, 28, 28, 1) and X.dtype == np.uint8
    assert np.array_equal(X[..., 0], arrays["test_images"])
    assert np.array_equal(y, arrays["test_labels"].ravel())
    assert [p.name for p in home.iterdir()] == ["pneumoniamnist.npz"]  # no temp file left
    # second call reads the local copy (the server is not needed)
    monkeypatch.setitem(_pneumoniamnist.PNEUMONIAMNIST_FILES, 28, ("http://127.0.0.1:9/x", md5))
    X2, _ = fetch_pneumoniamnist(split="train+val", data_home=home)
    assert X2.shape == (330, 28, 28, 1)


def test_download_wrong_md5(served, tmp_path, monkeypatch):
    url, md5, _ = served
    monkeypatch.setitem(_pneumoniamnist.PNEUMONIAMNIST_FILES, 28, (url, "f" * 32))
    with pytest.raises(OSError, match=r"Checksum mismatch.*expected f{32}"):
        fetch_pneumoniamnist(data_home=tmp_path / "home")
    assert list((tmp_path / "home").iterdir()) == []  # no partial or final file


def test_download_http_error(served, tmp_path, monkeypatch):
    url, md5, _ = served
    monkeypatch.setitem(
        _pneumoniamnist.PNEUMONIAMNIST_FILES, 28, (url.replace("pneumoniamnist", "nothing"), md5)
    )
    with pytest.raises(OSError, match="Could not download pneumoniamnist.npz"):
        fetch_pneumoniamnist(data_home=tmp_path / "home")
    assert list((tmp_path / "home").iterdir()) == []


def test_download_file_url(tmp_path, monkeypatch):
    src = tmp_path / "mirror" / "pneumoniamnist_128.npz"
    src.parent.mkdir()
    arrays = _fake_npz(src, size=128, n=(2, 1, 3))
    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    monkeypatch.setitem(_pneumoniamnist.PNEUMONIAMNIST_FILES, 128, (src.as_uri(), md5))
    X, y = fetch_pneumoniamnist(split="train", size=128, data_home=tmp_path / "home")
    assert X.shape == (2, 128, 128, 1)
    assert np.array_equal(X[..., 0], arrays["train_images"])
    assert (tmp_path / "home" / "pneumoniamnist_128.npz").read_bytes() == src.read_bytes()
    shutil.rmtree(tmp_path / "home")
    monkeypatch.setitem(_pneumoniamnist.PNEUMONIAMNIST_FILES, 128, (src.as_uri(), md5.upper()))
    assert (
        fetch_pneumoniamnist(split="test", size=128, data_home=tmp_path / "home")[0].shape[0] == 3
    )


def test_published_table():
    table = _pneumoniamnist.PNEUMONIAMNIST_FILES
    assert sorted(table) == [28, 64, 128, 224]
    for size, (url, md5) in table.items():
        suffix = "" if size == 28 else f"_{size}"
        assert (
            url
            == f"https://zenodo.org/records/10519652/files/pneumoniamnist{suffix}.npz?download=1"
        )
        assert len(md5) == 32 and int(md5, 16) >= 0
