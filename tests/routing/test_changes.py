"""Minutes on the ``travel saved`` reason of the change table (hand-checked)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from territory.routing.changes import travel_saved_minutes
from territory.travel import MatrixTravel

XY = {"r1": (0.0, 0.0), "a": (1.0, 0.0), "b": (1.5, 0.0), "c": (0.0, 10.0)}


def _travel() -> MatrixTravel:
    ids = list(XY)
    xy = np.array([XY[i] for i in ids])
    minutes = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return MatrixTravel(pd.DataFrame(minutes, index=ids, columns=ids))


def test_saved_minutes_are_the_old_detour_less_the_new_one() -> None:
    customers = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "lon": [1.0, 1.5, 0.0], "lat": [0.0, 0.0, 10.0]}
    )
    reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [0.0], "home_lat": [0.0]})
    # b left day 1 (where c is) for day 0 (beside a)
    moves = {"b": ("r1", frozenset({1}), frozenset({0}))}
    routes = {("r1", 0): ["a", "b"], ("r1", 1): ["c"]}
    saved = travel_saved_minutes(moves, routes, customers, reps, _travel())
    joined = 0.5 + 1.5 - 1.0  # a -> b -> home instead of a -> home
    left = 1.5 + math.hypot(1.5, 10.0) - 10.0  # home -> b -> c instead of home -> c
    assert saved == {"b": pytest.approx(left - joined)}


def test_a_move_to_a_costlier_day_saves_negative_minutes() -> None:
    customers = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "lon": [1.0, 1.5, 0.0], "lat": [0.0, 0.0, 10.0]}
    )
    reps = pd.DataFrame({"rep_id": ["r1"], "home_lon": [0.0], "home_lat": [0.0]})
    moves = {"b": ("r1", frozenset({0}), frozenset({1}))}
    routes = {("r1", 0): ["a"], ("r1", 1): ["c", "b"]}
    saved = travel_saved_minutes(moves, routes, customers, reps, _travel())
    joined = math.hypot(1.5, 10.0) + 1.5 - 10.0  # c -> b -> home instead of c -> home
    left = 0.5 + 1.5 - 1.0  # a -> b -> home instead of a -> home
    assert saved["b"] == pytest.approx(left - joined)
    assert saved["b"] < 0
