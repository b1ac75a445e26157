"""The shift functions: graded effects, colour images, speed, argument checks."""

import time

import numpy as np
import pytest

from xraynet.robustness import SHIFTS, apply_shift, available_shifts


def _xrays(n=8, size=32, seed=0):
    """Smooth "anatomy" plus fine texture, mid-grey: room to move both ways."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    body = 90 + 60 * np.sin(3 * xx) * np.cos(2 * yy)
    imgs = body[None] + rng.normal(0, 12, (n, size, size))
    return np.clip(np.rint(imgs), 0, 255).astype(np.uint8)[..., None]


def _high_freq_energy(X):
    """Share of spectral energy above half the Nyquist frequency, mean over images."""
    f = np.abs(np.fft.fftshift(np.fft.fft2(X[..., 0].astype(float)), axes=(1, 2))) ** 2
    h, w = X.shape[1:3]
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot(yy - h / 2, xx - w / 2)
    return float((f[:, r > h / 4].sum(axis=1) / f.reshape(len(X), -1).sum(axis=1)).mean())


def _monotone(values, increasing):
    diffs = np.diff(values)
    return bool(np.all(diffs > 0) if increasing else np.all(diffs < 0))


def test_registry_matches_available_shifts():
    assert list(SHIFTS) == available_shifts()
    assert len(available_shifts()) == 12 and all(callable(f) for f in SHIFTS.values())


def test_intensity_shifts_are_graded_both_ways():
    X = _xrays()
    sev = range(6)

    def mean(name):
        return [apply_shift(X, name, s).mean() for s in sev]

    def spread(name):
        return [apply_shift(X, name, s).reshape(len(X), -1).std(axis=1).mean() for s in sev]

    assert _monotone(mean("darker"), increasing=False)
    assert _monotone(mean("brighter"), increasing=True)
    assert _monotone(mean("gamma_low"), increasing=True)  # gamma < 1 lifts mid-tones
    assert _monotone(mean("gamma_high"), increasing=False)
    assert _monotone(spread("low_contrast"), increasing=False)
    assert _monotone(spread("high_contrast"), increasing=True)
    # contrast changes keep each image's mean (up to rounding and clipping)
    assert abs(apply_shift(X, "low_contrast", 3).mean() - X.mean()) < 1.0


def test_blur_and_low_resolution_remove_fine_detail():
    X = _xrays()
    for name in ("blur", "low_resolution"):
        energy = [_high_freq_energy(apply_shift(X, name, s)) for s in range(4)]
        assert _monotone(energy, increasing=False), (name, energy)


def test_jpeg_recompression_error_grows_as_quality_falls():
    X = _xrays()
    err = [np.abs(apply_shift(X, "jpeg", s).astype(int) - X).mean() for s in range(6)]
    assert err[0] == 0 and _monotone(err, increasing=True), err


def test_noise_is_zero_mean_with_the_stated_sd():
    X = np.full((20, 32, 32, 1), 128, np.uint8)
    for sev, sd in zip((1, 2, 3), (3, 6, 10)):
        out = apply_shift(X, "noise", sev, random_state=0).astype(float)
        assert out.mean() == pytest.approx(128, abs=0.3)
        assert out.std() == pytest.approx(sd, rel=0.05)


def test_geometric_shifts():
    X = np.full((4, 32, 32, 1), 200, np.uint8)
    rot = apply_shift(X, "rotation", 3, random_state=0)
    assert (rot[:, 0, 0] == 0).all() and (rot[:, 16, 16] == 200).all()  # black corners
    blob = np.zeros((1, 32, 32, 1), np.uint8)
    blob[0, 8:24, 8:24] = 255
    areas = [(apply_shift(blob, "collimation", s) > 127).sum() for s in range(6)]
    assert _monotone(areas, increasing=True), areas  # a tighter field enlarges the anatomy


def test_random_shifts_depend_only_on_the_seed():
    X = _xrays()
    for name in ("noise", "rotation"):
        a = apply_shift(X, name, 2, random_state=5)
        np.testing.assert_array_equal(a, apply_shift(X, name, 2, random_state=5))
    assert not np.array_equal(
        apply_shift(X, "noise", 2, random_state=5), apply_shift(X, "noise", 2, random_state=6)
    )


def test_colour_images_keep_their_channels():
    X = np.zeros((2, 32, 32, 3), np.uint8)
    X[..., 0] = 200  # red
    X[..., 2] = 40
    for name in available_shifts():
        out = apply_shift(X, name, 2, random_state=0)
        assert out.shape == X.shape and out.dtype == np.uint8
        centre = out[:, 12:20, 12:20].reshape(-1, 3).mean(axis=0)
        assert centre[0] > centre[2], name  # red is still red (no BGR mix-up)


def test_a_600_image_batch_is_fast():
    X = np.random.default_rng(0).integers(0, 256, (600, 28, 28, 1), dtype=np.uint8)
    for name in available_shifts():
        apply_shift(X, name, 1)  # warm-up (OpenCV first calls)
        t0 = time.perf_counter()
        apply_shift(X, name, 3)
        assert time.perf_counter() - t0 < 1.0, name


@pytest.mark.parametrize("severity", [-1, 6, 1.5, True, "2", None])
def test_bad_severity(severity):
    with pytest.raises(ValueError, match="severity must be an int from 0 to 5"):
        apply_shift(_xrays(2), "blur", severity)


def test_bad_shift_name_and_images():
    with pytest.raises(ValueError, match="unknown shift 'fog'; choose from darker"):
        apply_shift(_xrays(2), "fog", 1)
    with pytest.raises(ValueError, match="X"):
        apply_shift(np.zeros((2, 8)), "blur", 1)
