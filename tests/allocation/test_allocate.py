"""Tests for territory.allocation.allocate: methods, bounds, locks, months, validation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from territory.allocation import Allocation, Bounds, LevelRule, allocate
from territory.errors import InfeasibleError, ValidationError

LEVELS = ["region", "team", "rep_id", "customer_id"]


@pytest.fixture
def hierarchy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["N", "N", "N", "N"],
            "team": ["A", "A", "A", "B"],
            "rep_id": ["R1", "R1", "R2", "R3"],
            "customer_id": ["C1", "C2", "C3", "C4"],
            "potential": [100.0, 100.0, 200.0, 600.0],
            "outlets": [1.0, 1.0, 1.0, 1.0],
        }
    )


@pytest.fixture
def history() -> pd.DataFrame:
    """24 months, 2025-01 .. 2026-12; flat per customer; C4 doubles in 2026."""
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    monthly = {"C1": 10.0, "C2": 30.0, "C3": 60.0}
    rows = []
    for month in months:
        for cid, value in monthly.items():
            rows.append((cid, month, value))
        rows.append(("C4", month, 50.0 if month < "2026" else 100.0))
    return pd.DataFrame(rows, columns=["customer_id", "month", "sales"])


def values(result: Allocation, level: str) -> dict[object, float]:
    frame = result.at_level(level)
    return dict(zip(frame["unit"], frame["value"], strict=True))


def test_history_method_doubles_last_twelve_months(hierarchy, history):
    """Proportional to trailing-12 history: every unit gets exactly twice its history."""
    result = allocate(4800, hierarchy, levels=LEVELS, sales=history)
    assert values(result, "customer_id") == {"C1": 240, "C2": 720, "C3": 1440, "C4": 2400}
    assert values(result, "team") == {"A": 2400, "B": 2400}
    assert values(result, "rep_id") == {"R1": 960, "R2": 1440, "R3": 2400}
    assert result.months[0] == "2027-01" and len(result.months) == 12
    monthly = result.monthly("customer_id")
    assert monthly.loc["C1"].tolist() == [20.0] * 12
    assert monthly.loc["C4"].tolist() == [200.0] * 12


def test_history_named_window(hierarchy, history):
    """A named window (calendar 2025) uses only those months."""
    rule = LevelRule("history", window=("2025-01", "2025-12"))
    result = allocate(1800, hierarchy, levels=LEVELS, sales=history, methods=rule)
    assert values(result, "customer_id") == {"C1": 120, "C2": 360, "C3": 720, "C4": 600}


def test_last_year_window_is_plan_months_minus_twelve(hierarchy, history):
    """'last_year' for plan year 2026 is calendar 2025."""
    rule = LevelRule("history", window="last_year")
    result = allocate(1800, hierarchy, levels=LEVELS, sales=history, methods=rule, months=2026)
    assert values(result, "customer_id")["C4"] == 600


def test_potential_method(hierarchy):
    """Proportional to potential, summed up the hierarchy; no history needed."""
    result = allocate(
        1000, hierarchy, levels=LEVELS, potential="potential", methods="potential", months=2027
    )
    assert values(result, "team") == {"A": 400, "B": 600}
    assert values(result, "rep_id") == {"R1": 200, "R2": 200, "R3": 600}
    assert values(result, "customer_id") == {"C1": 100, "C2": 100, "C3": 200, "C4": 600}
    assert result.monthly("customer_id").loc["C4"].sum() == 600


def test_potential_as_series(hierarchy):
    """Potential may come as a Series indexed by customer id."""
    pot = pd.Series({"C1": 1.0, "C2": 1.0, "C3": 1.0, "C4": 1.0})
    result = allocate(
        400,
        hierarchy,
        levels=["region", "customer_id"],
        potential=pot,
        methods="potential",
        months=2027,
    )
    assert set(values(result, "customer_id").values()) == {100}


def test_index_method_mixes_shares(hierarchy, history):
    """Index 50 % history share + 50 % potential share: 75/125/250/550 of 1000."""
    rule = LevelRule("index", weights={"history": 0.5, "potential": 0.5})
    result = allocate(
        1000,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        potential="potential",
        methods=rule,
    )
    assert values(result, "customer_id") == {"C1": 75, "C2": 125, "C3": 250, "C4": 550}
    assert result.at_level("customer_id")["method"].iloc[0] == "index(history=0.5, potential=0.5)"


def test_index_method_with_hierarchy_column(hierarchy):
    """A numeric hierarchy column (outlets) works as an index column."""
    rule = LevelRule("index", weights={"outlets": 1})
    result = allocate(400, hierarchy, levels=["region", "customer_id"], methods=rule, months=2027)
    assert set(values(result, "customer_id").values()) == {100}


def test_equal_growth(hierarchy, history):
    """Equal growth: +10 % on last year for every unit."""
    result = allocate(
        2640, hierarchy, levels=["region", "customer_id"], sales=history, methods="equal_growth"
    )
    assert values(result, "customer_id") == {"C1": 132, "C2": 396, "C3": 792, "C4": 1320}
    assert result.at_level("customer_id")["growth"].round(6).tolist() == [0.1] * 4


def test_untapped_growth_goes_to_untapped_potential(hierarchy, history):
    """Growth proportional to potential minus history: only C1 has headroom."""
    h = hierarchy.assign(potential=[500.0, 360.0, 720.0, 1200.0])
    result = allocate(
        2640,
        h,
        levels=["region", "customer_id"],
        sales=history,
        potential="potential",
        methods="untapped",
    )
    assert values(result, "customer_id") == {"C1": 360, "C2": 360, "C3": 720, "C4": 1200}


def test_untapped_decline_cuts_in_proportion_to_history(hierarchy, history):
    """A shrinking parent is cut in proportion to last year."""
    result = allocate(
        1200,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        potential="potential",
        methods="untapped",
    )
    assert values(result, "customer_id") == {"C1": 60, "C2": 180, "C3": 360, "C4": 600}


def test_methods_per_level_mapping(hierarchy, history):
    """Different rules per level; unnamed levels default to history."""
    result = allocate(
        1000,
        hierarchy,
        levels=LEVELS,
        sales=history,
        potential="potential",
        methods={"team": "potential"},
    )
    assert values(result, "team") == {"A": 400, "B": 600}
    assert values(result, "rep_id") == {"R1": 160, "R2": 240, "R3": 600}


def test_lock_respreads_remainder(hierarchy, history):
    """A locked customer keeps its figure; the rest is spread over the free ones."""
    result = allocate(
        4800,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        locks={"customer_id": {"C4": 2000}},
    )
    assert values(result, "customer_id") == {"C1": 280, "C2": 840, "C3": 1680, "C4": 2000}
    frame = result.at_level("customer_id").set_index("unit")
    assert frame.loc["C4", "bound"] == "locked"
    assert frame.loc["C1", "bound"] is None


def test_lock_below_pushes_parent_up(hierarchy, history):
    """A lock at customer level raises its rep to at least the locked sum."""
    result = allocate(
        4800, hierarchy, levels=LEVELS, sales=history, locks={"customer_id": {"C2": 1000}}
    )
    reps = result.at_level("rep_id").set_index("unit")
    assert reps.loc["R1", "value"] == 1000
    assert reps.loc["R1", "bound"] == "children_min"
    assert values(result, "customer_id")["C1"] == 0
    assert values(result, "rep_id")["R2"] == 1400


def test_maximum_is_water_filled(hierarchy, history):
    """C3 capped at 1000; the 440 above it goes to the others in proportion, rounded."""
    result = allocate(
        4800,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        bounds={"customer_id": Bounds(maximum={"C3": 1000})},
    )
    assert values(result, "customer_id") == {"C1": 272, "C2": 814, "C3": 1000, "C4": 2714}
    frame = result.at_level("customer_id").set_index("unit")
    assert frame.loc["C3", "bound"] == "max"
    assert frame.loc["C1", "unrounded"] == pytest.approx(3800 * 120 / 1680)


def test_minimum_bound(hierarchy, history):
    """A minimum lifts a small unit and takes the difference from the rest."""
    result = allocate(
        2400,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        bounds={"customer_id": Bounds(minimum={"C1": 400})},
    )
    got = values(result, "customer_id")
    assert got["C1"] == 400
    assert sum(got.values()) == 2400
    assert result.at_level("customer_id").set_index("unit").loc["C1", "bound"] == "min"


def test_growth_bounds(hierarchy, history):
    """Potential split within -10 % .. +30 % of last year (hand-solved water level)."""
    result = allocate(
        2640,
        hierarchy,
        levels=["region", "customer_id"],
        sales=history,
        potential="potential",
        methods="potential",
        bounds={"customer_id": Bounds(growth=(-0.1, 0.3))},
    )
    assert values(result, "customer_id") == {"C1": 156, "C2": 324, "C3": 648, "C4": 1512}
    bounds = result.at_level("customer_id")["bound"].tolist()
    assert bounds == ["growth_max", "growth_min", "growth_min", None]


def test_infeasible_growth_shows_arithmetic(hierarchy, history):
    """Maxima below the target: the message names the sums, the target and the parent."""
    with pytest.raises(InfeasibleError) as info:
        allocate(
            4000,
            hierarchy,
            levels=["region", "customer_id"],
            sales=history,
            bounds={"customer_id": Bounds(growth=(-0.1, 0.3))},
        )
    message = str(info.value)
    assert "sum of maxima 3,120" in message
    assert "4,000" in message
    assert "sum of minima" in message and "locked sum" in message
    assert "'region'" in message or "region" in message


def test_infeasible_lock_versus_parent_maximum(hierarchy, history):
    """A locked child above its parent's maximum is reported with both numbers."""
    with pytest.raises(InfeasibleError) as info:
        allocate(
            4800,
            hierarchy,
            levels=LEVELS,
            sales=history,
            locks={"customer_id": {"C2": 1000}},
            bounds={"rep_id": Bounds(maximum={"R1": 500})},
        )
    message = str(info.value)
    assert "rep_id 'R1'" in message
    assert "500" in message and "locked sum 1,000" in message


def test_target_mapping_per_top_unit(hierarchy, history):
    """A mapping gives each top unit its own target."""
    result = allocate(
        {"A": 1200, "B": 600},
        hierarchy,
        levels=["team", "rep_id"],
        sales=history,
        key="customer_id",
    )
    assert values(result, "team") == {"A": 1200, "B": 600}
    assert values(result, "rep_id") == {"R1": 480, "R2": 720, "R3": 600}


def test_step_rounding_and_exact_sums(hierarchy, history):
    """Step 100: every figure is a multiple of 100 and children add up exactly."""
    result = allocate(10_000, hierarchy, levels=LEVELS, sales=history, step=100)
    frame = result.to_frame()
    assert (frame["value"] % 100 == 0).all()
    assert values(result, "team")["A"] + values(result, "team")["B"] == 10_000
    year = frame[frame["period"] == "year"]
    months = frame[frame["period"] != "year"]
    by_unit = months.groupby(["level", "unit"])["value"].sum()
    for _, row in year.iterrows():
        assert by_unit[(row["level"], row["unit"])] == row["value"]


def test_target_rounded_to_step(hierarchy, history):
    """A target that is not a multiple of the step is rounded, and the summary says so."""
    result = allocate(4830, hierarchy, levels=LEVELS, sales=history, step=100)
    assert result.target == 4800
    assert result.requested_target == 4830
    assert "rounded" in result.summary()


def test_month_step_finer_than_year_step(hierarchy, history):
    """Yearly figures in hundreds, months in tens."""
    result = allocate(4800, hierarchy, levels=LEVELS, sales=history, step=100, month_step=10)
    monthly = result.monthly("customer_id")
    assert (monthly.to_numpy() % 10 == 0).all()
    assert monthly.sum(axis=1).tolist() == result.at_level("customer_id")["value"].tolist()


def test_seasonality_own_parent_and_flat():
    """Own seasonality, fallback to the parent's, then flat when nothing has history."""
    hierarchy = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2"],
            "customer_id": ["C1", "C2", "C3"],
            "potential": [1.0, 1.0, 1.0],
        }
    )
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    history = pd.DataFrame(
        {
            "customer_id": ["C1"] * 12,
            "month": months,
            "sales": [0.0] * 11 + [120.0],  # all sales in December
        }
    )
    result = allocate(
        1200,
        hierarchy,
        levels=["rep_id", "customer_id"],
        sales=history,
        potential="potential",
        methods="potential",
    )
    monthly = result.monthly("customer_id")
    assert monthly.loc["C1"].tolist() == [0.0] * 11 + [400.0]
    assert monthly.loc["C2"].tolist() == [0.0] * 11 + [400.0]  # parent R1's seasonality
    # R2 has no history; the total (root) has December-only sales too
    assert monthly.loc["C3"].tolist() == [0.0] * 11 + [400.0]
    frame = result.to_frame()
    methods = frame[(frame["unit"] == "C2") & (frame["period"] != "year")]["method"]
    assert set(methods) == {"seasonality:rep_id"}
    flat = allocate(
        1200,
        hierarchy,
        levels=["rep_id", "customer_id"],
        potential="potential",
        methods="potential",
        months=2027,
    )
    assert flat.monthly("customer_id").loc["C3"].tolist() == [34.0] * 4 + [33.0] * 8


def test_periods_accepted_as_months(hierarchy, history):
    """Months as pandas Periods behave like 'YYYY-MM' strings."""
    periods = history.assign(month=pd.PeriodIndex(history["month"], freq="M"))
    a = allocate(4800, hierarchy, levels=LEVELS, sales=history)
    b = allocate(4800, hierarchy, levels=LEVELS, sales=periods)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_result_frame_dict_and_summary(hierarchy, history):
    """to_frame has one row per unit and period; to_dict is JSON-safe; summary is text."""
    result = allocate(4800, hierarchy, levels=LEVELS, sales=history)
    frame = result.to_frame()
    n_units = 1 + 2 + 3 + 4
    assert len(frame) == n_units * 13
    assert list(frame.columns) == [
        "level",
        "unit",
        "parent",
        "period",
        "method",
        "unrounded",
        "value",
        "bound",
    ]
    assert frame.loc[frame["unit"] == "C3", "parent"].iloc[0] == "R2"
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["levels"][0]["units"][0]["parent"] is None
    assert "customer_id" in result.summary()
    assert result.value("rep_id", "R2") == 1440
    with pytest.raises(KeyError):
        result.at_level("nope")


def test_input_not_modified(hierarchy, history):
    """The input tables are never changed."""
    h0, s0 = hierarchy.copy(), history.copy()
    allocate(4800, hierarchy, levels=LEVELS, sales=history, step=100)
    pd.testing.assert_frame_equal(hierarchy, h0)
    pd.testing.assert_frame_equal(history, s0)


def test_seed_reproducible(hierarchy, history):
    """Same seed, same result; ties may go elsewhere with another seed but totals hold."""
    args = {
        "levels": LEVELS,
        "sales": history,
        "methods": "potential",
        "potential": hierarchy["outlets"].set_axis(hierarchy["customer_id"]),
    }
    a = allocate(4801, hierarchy, seed=1, **args)
    b = allocate(4801, hierarchy, seed=1, **args)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


@pytest.mark.parametrize("rounding", ["jefferson", "webster", "dhondt", "sainte_lague"])
def test_divisor_rounding_adds_up(hierarchy, history, rounding):
    """Divisor rounding also adds up at every level and month."""
    result = allocate(4777, hierarchy, levels=LEVELS, sales=history, rounding=rounding)
    assert sum(values(result, "customer_id").values()) == 4777
    assert result.monthly("region").to_numpy().sum() == 4777


# --- validation ---------------------------------------------------------------------


def test_unknown_units_in_locks_and_bounds(hierarchy, history):
    """Unknown ids in locks and bounds are named, all in one error."""
    with pytest.raises(ValidationError) as info:
        allocate(
            4800,
            hierarchy,
            levels=LEVELS,
            sales=history,
            locks={"rep_id": {"R9": 100}},
            bounds={"customer_id": Bounds(minimum={"C99": 1})},
        )
    message = str(info.value)
    assert "'R9'" in message and "'C99'" in message
    assert "2 problems" in message


def test_negative_history_and_potential(hierarchy, history):
    """Negative sales and potential are reported with table, column and ids."""
    bad_history = history.copy()
    bad_history.loc[0, "sales"] = -5.0
    bad_hierarchy = hierarchy.assign(potential=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(ValidationError) as info:
        allocate(100, bad_hierarchy, levels=LEVELS, sales=bad_history, potential="potential")
    message = str(info.value)
    assert "sales: column 'sales' has 1 negative values (customer_id: 'C1')" in message
    assert "hierarchy: column 'potential' has 1 negative values (customer_id: 'C2')" in message


def test_duplicate_rows_and_two_parents(hierarchy):
    """Duplicate rows and a child under two parents are both caught."""
    dup = pd.concat([hierarchy, hierarchy.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match=r"1 duplicate rows \(customer_id: 'C1'\)"):
        allocate(100, dup, levels=LEVELS, potential="potential", methods="potential", months=2027)
    two = hierarchy.copy()
    two.loc[2, "rep_id"] = "R3"  # R3 now under team A and team B
    with pytest.raises(ValidationError, match=r"rep_id.*two different 'team'.*'R3'"):
        allocate(100, two, levels=LEVELS, potential="potential", methods="potential", months=2027)


def test_missing_months_in_history(hierarchy, history):
    """A gap in the month range is a validation error naming the months."""
    gap = history[history["month"] != "2025-06"]
    with pytest.raises(ValidationError, match=r"no rows for 1 of the 24 months.*'2025-06'"):
        allocate(100, hierarchy, levels=LEVELS, sales=gap)


def test_history_unknown_and_duplicate_ids(hierarchy, history):
    """History ids outside the hierarchy and duplicate (id, month) pairs are errors."""
    extra = pd.concat(
        [history, pd.DataFrame({"customer_id": ["C77"], "month": ["2025-01"], "sales": [1.0]})]
    )
    with pytest.raises(ValidationError, match="'C77'"):
        allocate(100, hierarchy, levels=LEVELS, sales=extra)
    dup = pd.concat([history, history.iloc[[0]]])
    with pytest.raises(ValidationError, match="duplicate"):
        allocate(100, hierarchy, levels=LEVELS, sales=dup)


def test_bad_parameters():
    """Rules and bounds validate themselves."""
    with pytest.raises(ValidationError):
        LevelRule("magic")
    with pytest.raises(ValidationError):
        LevelRule("index")
    with pytest.raises(ValidationError):
        Bounds(growth=(0.3, -0.1))
    with pytest.raises(ValidationError):
        Bounds(minimum=10, maximum=5)
    with pytest.raises(ValidationError):
        Bounds(minimum={"R1": -1})


def test_missing_inputs_for_methods(hierarchy):
    """Methods that need sales or potential say so."""
    with pytest.raises(ValidationError, match="'sales'"):
        allocate(100, hierarchy, levels=LEVELS, methods="equal_growth", months=2027)
    with pytest.raises(ValidationError, match="months"):
        allocate(100, hierarchy, levels=LEVELS, potential="potential", methods="potential")
    with pytest.raises(ValidationError, match="rounding"):
        allocate(
            100,
            hierarchy,
            levels=LEVELS,
            rounding="banker",
            months=2027,
            potential="potential",
            methods="potential",
        )


def test_lock_not_multiple_of_step(hierarchy, history):
    """A lock must be a multiple of the step."""
    with pytest.raises(ValidationError, match="multiples of step 100"):
        allocate(
            4800,
            hierarchy,
            levels=LEVELS,
            sales=history,
            step=100,
            locks={"customer_id": {"C1": 150}},
        )


def test_zero_history_everywhere_spreads_equally(hierarchy, history):
    """No history at all under a parent: its units share equally."""
    zero = history.assign(sales=0.0)
    result = allocate(400, hierarchy, levels=["region", "customer_id"], sales=zero)
    assert set(values(result, "customer_id").values()) == {100}
    assert np.allclose(result.monthly("customer_id").sum(axis=1), 100)


def test_infeasible_locks_below_target_show_locked_sum(hierarchy, history):
    """Customer locks above the whole target: the message counts them as locked."""
    with pytest.raises(InfeasibleError) as info:
        allocate(
            1000,
            hierarchy,
            levels=LEVELS,
            sales=history,
            locks={"customer_id": {"C1": 700, "C4": 600}},
        )
    message = str(info.value)
    assert "sum of minima 1,300 (locked sum 1,300)" in message
    assert "target 1,000" in message and "parent: total" in message


@pytest.mark.parametrize("months", [0, -5, 10**9, 1e9, ["0000-01"], True])
def test_months_outside_calendar_years_are_refused(months: object) -> None:
    """Plan years 0, -5 or 1e9 (labelled "0000-01" or "-005-01" before) are refused."""
    hierarchy = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "customer_id": ["C1", "C2", "C3"]})
    with pytest.raises(ValidationError, match="months' must be a year from 1 to 9999"):
        allocate(
            1000,
            hierarchy.assign(p=[1.0, 2.0, 3.0]),
            levels=["rep_id", "customer_id"],
            potential="p",
            methods="potential",
            months=months,  # type: ignore[arg-type]
        )


def test_target_too_large_to_count_exactly_is_refused() -> None:
    """A target of more steps than float64 counts exactly asks for a larger step."""
    hierarchy = pd.DataFrame({"rep_id": ["R1", "R2"], "customer_id": ["C1", "C2"], "p": [1, 2]})
    with pytest.raises(ValidationError, match="use a larger step"):
        allocate(
            1e300,
            hierarchy,
            levels=["rep_id", "customer_id"],
            potential="p",
            methods="potential",
            months=2027,
        )


def test_history_sums_beyond_float_range_are_refused() -> None:
    """Sales of 1e308 whose sum overflows are a validation error, not NaN targets."""
    hierarchy = pd.DataFrame({"rep_id": ["R1", "R2"], "customer_id": ["C1", "C2"]})
    history = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "month": ["2026-12", "2026-12"], "sales": [1e308, 1e308]}
    )
    with pytest.raises(ValidationError, match="adds up to more than the largest float"):
        allocate(1000, hierarchy, levels=["rep_id", "customer_id"], sales=history)


def test_history_is_the_deprecated_name_of_sales(hierarchy, history):
    """``history=`` still works, with a DeprecationWarning, and gives the same targets."""
    now = allocate(4800, hierarchy, levels=LEVELS, sales=history, step=100)
    with pytest.warns(DeprecationWarning, match="sales="):
        before = allocate(4800, hierarchy, levels=LEVELS, history=history, step=100)
    pd.testing.assert_frame_equal(now.to_frame(), before.to_frame())
    with pytest.warns(DeprecationWarning), pytest.raises(ValidationError, match="once"):
        allocate(4800, hierarchy, levels=LEVELS, sales=history, history=history)
