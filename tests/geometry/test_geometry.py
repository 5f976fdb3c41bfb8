"""Tests of territory.geometry: unit vectors, the local km plane, weighted k-means."""

from __future__ import annotations

import numpy as np
import pytest

from territory.geometry import (
    EARTH_RADIUS_KM,
    KM_PER_DEGREE,
    chord_km,
    project_km,
    unit_vectors,
    weighted_kmeans,
)
from territory.travel import haversine_km


def test_unit_vectors_have_norm_one() -> None:
    """Every unit vector has length 1, whatever the coordinates."""
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-180, 180, 200), rng.uniform(-90, 90, 200)
    np.testing.assert_allclose(np.linalg.norm(unit_vectors(lon, lat), axis=1), 1.0, atol=1e-12)


def test_unit_vectors_known_points() -> None:
    """(0, 0) is the x axis, (90 E, 0) the y axis and the North Pole the z axis."""
    v = unit_vectors([0.0, 90.0, 0.0], [0.0, 0.0, 90.0])
    np.testing.assert_allclose(v, np.eye(3), atol=1e-12)


def test_chord_km_matches_haversine() -> None:
    """The chord between unit vectors converts back to great-circle km (1 degree: 111.195)."""
    v = unit_vectors([0.0, 1.0], [0.0, 0.0])
    km = float(chord_km(np.linalg.norm(v[0] - v[1])))
    assert km == pytest.approx(float(haversine_km(0.0, 0.0, 1.0, 0.0)), rel=1e-9)
    assert km == pytest.approx(EARTH_RADIUS_KM * np.pi / 180, rel=1e-9)


@pytest.mark.parametrize("bearing", [0.0, 45.0, 90.0, 135.0])
def test_projection_matches_haversine_within_half_a_percent_at_50_km(bearing: float) -> None:
    """At 48 N, two points 50 km apart are 50 km apart on the plane, within 0.5 %."""
    lat0, lon0 = 48.0, 9.0
    north = 50.0 * np.cos(np.radians(bearing)) / KM_PER_DEGREE
    east = 50.0 * np.sin(np.radians(bearing)) / (KM_PER_DEGREE * np.cos(np.radians(lat0)))
    lon = np.array([lon0, lon0 + east])
    lat = np.array([lat0, lat0 + north])
    xy = project_km(lon, lat)
    planar = float(np.linalg.norm(xy[1] - xy[0]))
    sphere = float(haversine_km(lon[0], lat[0], lon[1], lat[1]))
    assert planar == pytest.approx(sphere, rel=0.005)
    assert sphere == pytest.approx(50.0, rel=0.005)


def test_projection_origin() -> None:
    """The default origin is the mean point; a given origin maps to (0, 0)."""
    lon, lat = np.array([9.0, 10.0]), np.array([48.0, 49.0])
    np.testing.assert_allclose(project_km(lon, lat).mean(axis=0), 0.0, atol=1e-9)
    xy = project_km(lon, lat, origin=(9.0, 48.0))
    np.testing.assert_allclose(xy[0], [0.0, 0.0], atol=1e-12)
    assert xy[1, 1] == pytest.approx(KM_PER_DEGREE)


def test_kmeans_finds_two_obvious_clusters() -> None:
    """Two tight groups 100 km apart: one centre at the mean of each."""
    xy = np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [100.0, 0.0], [100.0, 2.0], [102.0, 1.0]])
    centres = weighted_kmeans(xy, None, 2, seed=0)
    ordered = centres[np.argsort(centres[:, 0])]
    np.testing.assert_allclose(ordered, [[2 / 3, 2 / 3], [302 / 3, 1.0]])


def test_kmeans_centres_are_weighted_means() -> None:
    """A centre is the weighted mean of its points: weights 3 and 1 at y=0 and y=4 give y=1."""
    xy = np.array([[0.0, 0.0], [0.0, 4.0], [100.0, 0.0]])
    centres = weighted_kmeans(xy, np.array([3.0, 1.0, 1.0]), 2, seed=1)
    ordered = centres[np.argsort(centres[:, 0])]
    np.testing.assert_allclose(ordered, [[0.0, 1.0], [100.0, 0.0]], atol=1e-9)


def test_kmeans_is_deterministic_for_a_seed() -> None:
    """The same seed gives the same centres; a generator is accepted and advanced."""
    xy = np.random.default_rng(5).normal(size=(300, 2))
    first = weighted_kmeans(xy, None, 4, seed=7)
    np.testing.assert_array_equal(first, weighted_kmeans(xy, None, 4, seed=7))
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(first, weighted_kmeans(xy, None, 4, rng))
    assert rng.bit_generator.state != np.random.default_rng(7).bit_generator.state


def test_kmeans_random_start_and_bad_arguments() -> None:
    """init='random' needs k <= n; no points or k < 1 is a ValueError."""
    xy = np.array([[0.0, 0.0], [10.0, 0.0]])
    centres = weighted_kmeans(xy, None, 2, seed=0, init="random")
    assert sorted(centres[:, 0].tolist()) == [0.0, 10.0]
    with pytest.raises(ValueError, match="cannot place 3 centres"):
        weighted_kmeans(xy, None, 3, seed=0, init="random")
    with pytest.raises(ValueError, match="cannot place"):
        weighted_kmeans(np.zeros((0, 2)), None, 1, seed=0)
    with pytest.raises(ValueError, match="init must be"):
        weighted_kmeans(xy, None, 1, seed=0, init="spread")  # type: ignore[arg-type]
