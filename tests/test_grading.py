"""Tests of territory.grading: the grading schemes and the Grades result."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.datasets import sample_region
from territory.errors import ValidationError
from territory.grading import (
    Grades,
    ParetoABC,
    RelationshipPotentialMatrix,
    RFMGrading,
    StableGrading,
    VisitPolicy,
    WeightedScore,
    counts_from_shares,
    demo_grades,
    quintile_scores,
)


def _monthly(values: dict[str, list[float]], start: str = "2026-01") -> pd.DataFrame:
    months = [
        str(p) for p in pd.period_range(start, periods=len(next(iter(values.values()))), freq="M")
    ]
    rows = [
        {"customer_id": cid, "month": month, "sales": value}
        for cid, series in values.items()
        for month, value in zip(months, series, strict=True)
    ]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- matrix


def test_matrix_quadrants_numeric() -> None:
    """Each quadrant of the matrix lands in the grade the rule names."""
    customers = pd.DataFrame(
        {
            "customer_id": ["good_high", "avg_high", "good_low", "avg_low", "edge"],
            "relationship": [5, 3, 4, 1, 4],
            "potential": [900.0, 800.0, 100.0, 50.0, 500.0],
        }
    )
    grades = RelationshipPotentialMatrix(good_relationship=4, high_potential=500).grade(customers)
    table = grades.table
    assert table["grade"].tolist() == ["A", "B", "C", "D", "A"]
    assert table["relationship_level"].tolist() == ["good", "average", "good", "average", "good"]
    assert table["potential_level"].tolist() == ["high", "high", "low", "low", "high"]
    assert (table["basis"] == "scheme").all()


def test_matrix_categorical_and_quantile() -> None:
    """Categorical relationship and a median potential threshold give the four grades."""
    customers = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "relationship": ["Good", "average", "good", "AVERAGE"],
            "potential": [10.0, 9.0, 1.0, 2.0],
        }
    )
    matrix = RelationshipPotentialMatrix(good_relationship=("good",), high_potential_quantile=0.5)
    grades = matrix.grade(customers)
    assert grades.table["grade"].tolist() == ["A", "B", "C", "D"]
    assert grades.parameters["high_potential_threshold"] == pytest.approx(5.5)


def test_matrix_bad_category_names_ids() -> None:
    """A relationship category that is neither good nor average is a ValidationError."""
    customers = pd.DataFrame(
        {"customer_id": ["a", "b"], "relationship": ["good", "meh"], "potential": [1.0, 2.0]}
    )
    with pytest.raises(ValidationError, match=r"customers: column 'relationship'.*'b'"):
        RelationshipPotentialMatrix(good_relationship=("good",)).grade(customers)


def test_matrix_missing_data_gets_default_grade(caplog: pytest.LogCaptureFixture) -> None:
    """A customer without relationship or potential gets the default grade, logged."""
    customers = pd.DataFrame(
        {"customer_id": ["a", "b"], "relationship": [5, None], "potential": [1.0, 2.0]}
    )
    grades = RelationshipPotentialMatrix(high_potential=0.5, default_grade="C").grade(customers)
    assert grades.table["grade"].tolist() == ["A", "C"]
    assert grades.table["basis"].tolist() == ["scheme", "default"]
    assert "1 customers lack" in caplog.text


def test_matrix_negative_potential_is_error() -> None:
    """Negative potential is reported with the customer id."""
    customers = pd.DataFrame({"customer_id": ["a"], "relationship": [5], "potential": [-1.0]})
    with pytest.raises(
        ValidationError, match=r"'potential' has 1 negative values \(customer_id: 'a'\)"
    ):
        RelationshipPotentialMatrix().grade(customers)


# ----------------------------------------------------------------------------- pareto


def test_pareto_exact_boundaries() -> None:
    """A customer whose share before it is exactly 70 % is B, exactly 90 % is C."""
    sales = _monthly({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    customers = pd.DataFrame({"customer_id": list("abcde")})
    grades = ParetoABC(window_months=1).grade(customers, sales)
    table = grades.table.set_index("customer_id")
    assert table.loc[["a", "b", "c", "d", "e"], "grade"].tolist() == ["A", "B", "C", "D", "D"]
    assert table.loc["b", "cumulative_share_before"] == 0.7
    assert table.loc["c", "cumulative_share_before"] == 0.9
    assert table.loc["e", "basis"] == "default"


def test_pareto_just_below_boundary_stays_in_better_class() -> None:
    """Shares before of 69 % and 89 % stay A and B."""
    sales = _monthly({"a": [69.0], "b": [1.0], "c": [19.0], "d": [11.0]})
    grades = ParetoABC(window_months=1).grade(pd.DataFrame({"customer_id": list("abcd")}), sales)
    # ranking a(69) c(19) d(11) b(1): before 0, .69, .88, .99
    assert grades.table["grade"].tolist() == ["A", "C", "A", "B"]


def test_pareto_window_and_no_sales_class_off() -> None:
    """Only the window counts; with no_sales_grade None zero sales are C."""
    sales = _monthly({"a": [1000.0, 1.0, 1.0], "b": [0.0, 3.0, 3.0], "c": [0.0, 0.0, 0.0]})
    grades = ParetoABC(window_months=2, no_sales_grade=None).grade(
        pd.DataFrame({"customer_id": list("abc")}), sales
    )
    assert grades.table["sales"].tolist() == [2.0, 6.0, 0.0]
    assert grades.table["grade"].tolist() == ["B", "A", "C"]
    assert grades.parameters["window"] == ["2026-02", "2026-03"]


def test_pareto_bad_inputs_collected() -> None:
    """Unknown customers, negative sales and a gap in the window are one ValidationError."""
    sales = pd.DataFrame(
        {
            "customer_id": ["a", "zz", "a", "b"],
            "month": ["2026-01", "2026-01", "2026-03", "2026-03"],
            "sales": [1.0, 2.0, -5.0, 1.0],
        }
    )
    with pytest.raises(ValidationError) as info:
        ParetoABC(window_months=3).grade(pd.DataFrame({"customer_id": ["a", "b"]}), sales)
    message = str(info.value)
    assert (
        "sales: column 'customer_id' has rows for 1 customers that are not in the "
        "customers table (customer_id: 'zz')" in message
    )
    assert "sales: column 'sales' has 1 negative values (customer_id: 'a')" in message
    assert (
        "has no rows for 1 of the 3 months in the window 2026-01 to 2026-03 (month: '2026-02')"
        in message
    )


def test_pareto_shares_must_add_up() -> None:
    """Cut-offs that do not add to 100 % are rejected."""
    with pytest.raises(ValidationError, match="add up to 100 %"):
        ParetoABC(shares=(0.7, 0.2, 0.2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40))
def test_pareto_shares_respect_cutoffs(values: list[int]) -> None:
    """A is the smallest top group reaching 70 %, A+B the smallest reaching 90 %."""
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))]})
    sales = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "month": "2026-01",
            "sales": np.asarray(values, float),
        }
    )
    table = ParetoABC(window_months=1).grade(customers, sales).table
    assert len(table) == len(values)
    assert table["grade"].isin(list("ABCD")).all()
    total = float(sum(values))
    positive = table[table["sales"] > 0]
    assert (table.loc[table["sales"] == 0, "grade"] == "D").all()
    for grades_in, cut in ((["A"], 0.7), (["A", "B"], 0.9)):
        group = positive[positive["grade"].isin(grades_in)]
        if total == 0:
            continue
        share = group["sales"].sum() / total
        assert share >= cut - 1e-9
        if len(group):
            # Without its smallest member the group would not reach the cut-off.
            assert (group["sales"].sum() - group["sales"].min()) / total < cut + 1e-9


# ----------------------------------------------------------------------------- rfm


def test_quintiles_of_ten() -> None:
    """Ten distinct values give two of each quintile score; ties share a score."""
    assert quintile_scores(np.arange(10.0)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(np.array([1.0, 1.0, 1.0])).tolist() == [3, 3, 3]


def test_rfm_ten_customers() -> None:
    """Customer k buys 10 in months 0..k: R, F and M all rank by k."""
    months = [str(p) for p in pd.period_range("2026-01", periods=10, freq="M")]
    rows = [
        {"customer_id": f"C{k}", "month": months[m], "sales": 10.0}
        for k in range(10)
        for m in range(k + 1)
    ]
    customers = pd.DataFrame({"customer_id": [f"C{k}" for k in range(10)] + ["new"]})
    grades = RFMGrading(window_months=10).grade(customers, pd.DataFrame(rows))
    table = grades.table
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    for column in ("r_score", "f_score", "m_score"):
        assert table[column].iloc[:10].tolist() == expected
    assert table["score"].iloc[:10].tolist() == [3, 3, 6, 6, 9, 9, 12, 12, 15, 15]
    assert table["grade"].tolist() == [*list("DDDDCCBBAA"), "D"]
    assert table["recency"].iloc[:10].tolist() == list(range(9, -1, -1))
    assert table.loc[10, "basis"] == "default"
    assert pd.isna(table.loc[10, "r_score"])


def test_rfm_daily_recency_in_days() -> None:
    """With a date column recency counts days to the end of the window's last month."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": pd.to_datetime(["2026-03-31", "2026-03-01"]),
            "sales": [1.0, 1.0],
        }
    )
    table = RFMGrading(window_months=1).grade(pd.DataFrame({"customer_id": ["a", "b"]}), tx).table
    assert table["recency"].tolist() == [0.0, 30.0]


def test_rfm_bad_thresholds() -> None:
    """Grade thresholds must decrease within 3-15."""
    with pytest.raises(ValidationError, match="grade_thresholds"):
        RFMGrading(grade_thresholds=(10, 12, 7))


# ----------------------------------------------------------------------------- weighted


def test_weighted_target_shares() -> None:
    """Shares 10/20/30/40 % of ten customers give 1, 2, 3, 4 customers by score."""
    customers = pd.DataFrame(
        {"customer_id": [f"C{i}" for i in range(10)], "potential": np.arange(10.0), "distance": 0.0}
    )
    scheme = WeightedScore({"potential": 3.0, "distance": 1.0}, lower_is_better=("distance",))
    table = scheme.grade(customers).table
    assert table["grade"].tolist() == list("DDDDCCCBBA")
    points = table["potential_points"] + table["distance_points"]
    np.testing.assert_allclose(points, table["score"])
    # minmax: potential 0..1 with weight 3/4, distance constant -> 0.5, flipped -> 0.5, weight 1/4
    assert table["score"].iloc[-1] == pytest.approx(0.75 + 0.125)


def test_weighted_thresholds_and_rank() -> None:
    """Rank normalisation with score thresholds."""
    customers = pd.DataFrame({"customer_id": list("abcde"), "x": [100.0, 1.0, 2.0, 3.0, 4.0]})
    table = (
        WeightedScore({"x": 1.0}, normalisation="rank", thresholds=(0.75, 0.5, 0.25))
        .grade(customers)
        .table
    )
    assert table["score"].tolist() == [1.0, 0.0, 0.25, 0.5, 0.75]
    assert table["grade"].tolist() == ["A", "D", "C", "B", "A"]


def test_weighted_bad_parameters() -> None:
    """Negative weights and shares off 100 % are reported together."""
    with pytest.raises(ValidationError) as info:
        WeightedScore({"x": -1.0, "y": 1.0}, shares=(0.5, 0.5, 0.5, 0.0))
    message = str(info.value)
    assert "weights: column 'x' has 1 negative or missing weights" in message
    assert "grade shares must add up to 100 %" in message


def test_counts_from_shares_add_up() -> None:
    """Largest-remainder counts add up to n."""
    assert counts_from_shares((0.25, 0.25, 0.25, 0.25), 3).sum() == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=50),
    st.lists(st.integers(min_value=0, max_value=10), min_size=4, max_size=4).filter(
        lambda w: sum(w) > 0
    ),
)
def test_weighted_every_customer_one_grade(values: list[float], raw_shares: list[int]) -> None:
    """Every customer gets exactly one grade and the counts follow the shares."""
    shares = tuple(s / sum(raw_shares) for s in raw_shares)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(values))], "x": values})
    table = WeightedScore({"x": 1.0}, shares=shares).grade(customers).table  # type: ignore[arg-type]
    assert table["customer_id"].is_unique and len(table) == len(values)
    assert table["grade"].isin(list("ABCD")).all()
    counts = table["grade"].value_counts().reindex(list("ABCD"), fill_value=0).to_numpy()
    assert counts.tolist() == counts_from_shares(shares, len(values)).tolist()
    # better grades never have lower scores than worse grades
    index = table["grade"].map({g: i for i, g in enumerate("ABCD")})
    for i in range(3):
        better, worse = table["score"][index <= i], table["score"][index > i]
        if len(better) and len(worse):
            assert better.min() >= worse.max()


# ----------------------------------------------------------------------------- stability


def _scored(scores: list[float]) -> Grades:
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(scores))], "x": scores})
    return WeightedScore({"x": 1.0}, thresholds=(0.75, 0.5, 0.25)).grade(
        pd.concat([customers, pd.DataFrame({"customer_id": ["lo", "hi"], "x": [0.0, 1.0]})])
    )


def test_stability_margin_holds_near_boundary() -> None:
    """A move past a boundary by less than the margin keeps the previous grade."""
    now = _scored([0.72, 0.45, 0.2, 0.9])  # scheme: B, C, D, A
    previous = pd.DataFrame(
        {
            "customer_id": ["C0", "C1", "C2", "C3", "lo", "hi"],
            "grade": ["A", "A", "C", "C", "D", "A"],
        }
    )
    table = StableGrading(margin=0.1).apply(now, previous).table.set_index("customer_id")
    # C0: 0.72 is only 0.03 below A/B -> stays A. C1: 0.45 is 0.30 below A/B and 0.05
    # below B/C -> moves one step to B. C2: 0.2 is 0.05 below C/D -> stays C.
    # C3: 0.9 is 0.15 above A/B and 0.4 above B/C -> A.
    assert table.loc[["C0", "C1", "C2", "C3"], "grade"].tolist() == ["A", "B", "C", "A"]
    assert table.loc[["C0", "C1", "C2", "C3"], "held"].tolist() == [
        "margin",
        "margin",
        "margin",
        "",
    ]
    assert table.loc["C1", "scheme_grade"] == "C"


def test_stability_cap_keeps_largest_changes() -> None:
    """With a cap only the largest score changes go through."""
    now = _scored([0.9, 0.6, 0.1, 0.3])  # A, B, D, C
    previous = pd.DataFrame(
        {
            "customer_id": ["C0", "C1", "C2", "C3", "lo", "hi"],
            "grade": ["B", "C", "A", "D", "D", "A"],
            "score": [0.7, 0.45, 0.95, 0.2, 0.0, 1.0],
        }
    )
    # changes |0.2|, |0.15|, |0.85|, |0.1| of 6 customers; 1/3 -> 2 may change
    table = (
        StableGrading(max_change_share=1 / 3).apply(now, previous).table.set_index("customer_id")
    )
    assert table.loc[["C0", "C1", "C2", "C3"], "grade"].tolist() == ["A", "C", "D", "D"]
    assert int(table["changed"].sum()) == 2
    assert table.loc["C1", "held"] == "cap"


def test_stability_unknown_previous_grade() -> None:
    """A previous grade outside A-D is a ValidationError naming the customer."""
    previous = pd.DataFrame({"customer_id": ["C0"], "grade": ["Z"]})
    with pytest.raises(ValidationError, match=r"previous: column 'grade'.*'C0'"):
        StableGrading(margin=0.1).apply(_scored([0.5]), previous)


# ----------------------------------------------------------------------------- result


def test_grades_dict_is_json_and_summary_shares() -> None:
    """to_dict is JSON-safe; by_grade gives customer and sales shares, summary the text."""
    sales = _monthly({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    grades = ParetoABC(window_months=1).grade(pd.DataFrame({"customer_id": list("abcd")}), sales)
    json.dumps(grades.to_dict())
    by_grade = grades.by_grade()
    assert by_grade["customers"].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(by_grade["share_sales"], [0.7, 0.2, 0.1, 0.0])
    assert "A: 1 customers (25.0%), 70.0% of sales" in grades.summary()
    assert grades.to_dict()["summary"] == grades.summary()
    assert "grade B" in grades.explain("b")
    frame = grades.to_frame()
    frame.loc[0, "grade"] = "D"
    assert grades.table.loc[0, "grade"] == "A"


def test_duplicate_customer_ids_rejected() -> None:
    """Duplicate customer ids are named."""
    customers = pd.DataFrame({"customer_id": ["a", "a"], "x": [1.0, 2.0]})
    with pytest.raises(ValidationError, match=r"1 duplicate ids \(customer_id: 'a'\)"):
        WeightedScore({"x": 1.0}).grade(customers)


def test_pareto_with_sums_beyond_float_range_is_refused() -> None:
    """Sales of 1e308 whose sum overflows raise instead of grading everyone C with NaN."""
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    sales = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "month": "2026-01", "sales": [1e308, 1e308, 1.0]}
    )
    with pytest.raises(ValidationError, match="'sales' adds up to more than the largest float"):
        ParetoABC(window_months=1).grade(customers, sales)


def test_infinite_sales_are_refused() -> None:
    """An infinite sales amount is named, not summed."""
    customers = pd.DataFrame({"customer_id": ["a", "b"]})
    sales = pd.DataFrame({"customer_id": ["a", "b"], "month": "2026-01", "sales": [np.inf, 1.0]})
    with pytest.raises(
        ValidationError, match=r"'sales' has 1 infinite values \(customer_id: 'a'\)"
    ):
        ParetoABC(window_months=1).grade(customers, sales)


def test_capacity_check_ignores_weekdays_outside_the_cycle() -> None:
    """A rep working only on Saturday has no capacity in a Monday-Friday cycle."""
    requirements = pd.DataFrame(
        {"customer_id": ["a"], "grade": ["A"], "visits_per_cycle": [4], "service_minutes": [30]}
    )
    customers = pd.DataFrame({"customer_id": ["a"], "lon": [9.0], "lat": [48.0]})
    reps = pd.DataFrame(
        {"rep_id": ["r1"], "home_lon": [9.01], "home_lat": [48.01], "weekdays": ["Sat"]}
    )
    check = VisitPolicy.default().capacity_check(requirements, customers, reps)
    assert check.capacity_minutes == 0 and not check.fits
    assert check.rep_capacity["working_days"].tolist() == [0.0]
    weekdays = reps.assign(weekdays="Mon,Sat")
    check = VisitPolicy.default().capacity_check(requirements, customers, weekdays)
    assert check.rep_capacity["working_days"].tolist() == [4.0]


# ----------------------------------------------------------------------------- renamed


def test_deprecated_column_names_still_work() -> None:
    """Old parameter names warn and give the same grades as the new ones."""
    sales = _monthly({"a": [70.0], "b": [20.0], "c": [10.0], "d": [0.0]})
    customers = pd.DataFrame({"customer_id": list("abcd")})
    new = ParetoABC(window_months=1, time_column="month").grade(customers, sales)
    with pytest.warns(DeprecationWarning, match="use time_column"):
        old = ParetoABC(window_months=1, month_column="month")
    assert old.time_column == "month" and old.month_column is None
    assert old.grade(customers, sales).table.equals(new.table)
    amounts = sales.rename(columns={"sales": "amount"})
    with pytest.warns(DeprecationWarning, match="use sales_column"):
        rfm = RFMGrading(window_months=1, amount_column="amount")
    with pytest.warns(DeprecationWarning, match="use sales="):
        old_rfm = rfm.grade(customers, transactions=amounts)
    assert old_rfm.table.equals(RFMGrading(window_months=1).grade(customers, sales).table)


def test_capacity_check_takes_a_cycle() -> None:
    """cycle=Cycle(weeks=2) halves the capacity of the default 4-week cycle; cycle_days warns."""
    from territory.routing import Cycle

    region = sample_region(60, seed=0)
    _, requirements = demo_grades(region)
    policy = VisitPolicy.default()
    four = policy.capacity_check(requirements, region.customers, region.reps)
    two = policy.capacity_check(requirements, region.customers, region.reps, cycle=Cycle(weeks=2))
    assert two.capacity_minutes == pytest.approx(four.capacity_minutes / 2)
    with pytest.warns(DeprecationWarning, match="cycle=Cycle"):
        old = policy.capacity_check(requirements, region.customers, region.reps, cycle_days=10)
    assert old.capacity_minutes == pytest.approx(two.capacity_minutes)
