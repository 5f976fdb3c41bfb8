"""Tests of the review's roll-ups by supervisor: two-level audit, audit feedback, areas."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.review import (
    area_criteria,
    audit_results,
    audit_sample,
    rep_scorecard,
    visit_execution,
)


def _reps() -> pd.DataFrame:
    """Area manager M over company reps C1 and C2; dealer reps K1, K2 under C1, K3 under C2."""
    return pd.DataFrame(
        {
            "rep_id": ["C1", "C2", "K1", "K2", "K3"],
            "kind": ["company", "company", "dealer", "dealer", "dealer"],
            "dealer_id": [None, None, "D1", "D1", "D2"],
            "supervisor_id": ["M", "M", "C1", "C1", "C2"],
            "home_lon": 9.0,
            "home_lat": 48.0,
        }
    )


def _month(stores: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each rep visits its own stores once in Nov 2026; grades alternate A, B, A, ..."""
    rows, grades = [], []
    for rep, n in stores.items():
        for j in range(n):
            cid = f"{rep}-S{j:02d}"
            grades.append((cid, "AB"[j % 2]))
            rows.append((rep, cid, pd.Timestamp(f"2026-11-{1 + j:02d} 10:00")))
    log = pd.DataFrame(rows, columns=["rep_id", "customer_id", "timestamp"])
    return log, pd.DataFrame(grades, columns=["customer_id", "grade"])


def test_supervisor_level_covers_dealer_reps_stores_with_asked_sizes():
    """C1's area has its own 6 stores and K1/K2's 9: 1 per (visited_by, grade) = 4 stores."""
    log, grades = _month({"C1": 6, "K1": 5, "K2": 4, "C2": 3, "K3": 6})
    audit = audit_sample(
        log,
        grades,
        month="2026-11",
        seed=3,
        level="supervisor",
        reps=_reps(),
        sizes={"A": 1, "B": 1},
    )
    alloc = audit.allocation.set_index(["area_rep_id", "visited_by", "grade"])
    assert alloc.loc[("C1", "dealer", "A"), "visited"] == 5  # K1 3 A + K2 2 A
    assert alloc.loc[("C1", "dealer", "B"), "visited"] == 4
    assert (alloc["asked"] == 1).all() and (alloc["sampled"] == 1).all()
    assert set(audit.sample["auditor"]) == {"M"}
    c1 = audit.sample[audit.sample["area_rep_id"] == "C1"]
    assert len(c1) == 4
    assert set(c1.loc[c1["visited_by"] == "dealer", "rep_id"]) <= {"K1", "K2"}
    assert (c1["visited_by"] == "dealer").sum() == 2
    assert audit.unit_column == "area_rep_id" and "2 areas" in audit.summary()
    json.dumps(audit.to_dict())


def test_sizes_by_visited_by_and_grade_pair_and_shortfall_reported():
    """A (visited_by, grade) key wins over the grade; a stratum smaller than asked is all taken."""
    log, grades = _month({"C1": 2, "K1": 5})
    audit = audit_sample(
        log,
        grades,
        month="2026-11",
        seed=0,
        level="supervisor",
        reps=_reps(),
        sizes={"A": 2, ("dealer", "A"): 3},
    )
    alloc = audit.allocation.set_index(["visited_by", "grade"])
    assert alloc["asked"].to_dict() == {
        ("company", "A"): 2,
        ("company", "B"): 0,
        ("dealer", "A"): 3,
        ("dealer", "B"): 0,
    }
    assert alloc["sampled"].to_dict() == {
        ("company", "A"): 1,
        ("company", "B"): 0,
        ("dealer", "A"): 3,
        ("dealer", "B"): 0,
    }
    assert any("fewer stores in some strata" in issue for issue in audit.issues)


def test_a_store_visited_by_two_reps_is_one_store_of_the_area():
    """C1 and its dealer rep K1 both visit S1: one store, 3 visits, shown under K1 (most)."""
    log = pd.DataFrame(
        {
            "rep_id": ["C1", "K1", "K1"],
            "customer_id": ["S1", "S1", "S1"],
            "timestamp": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-10"]),
        }
    )
    grades = pd.DataFrame({"customer_id": ["S1"], "grade": ["A"]})
    audit = audit_sample(log, grades, month="2026-11", seed=0, level="supervisor", reps=_reps())
    assert audit.sample[["area_rep_id", "rep_id", "visited_by", "visits"]].values.tolist() == [
        ["C1", "K1", "dealer", 3]
    ]


def test_dealer_rep_level_is_audited_by_its_company_rep():
    """The second level samples each dealer rep's stores, with its company rep as auditor."""
    log, grades = _month({"C1": 6, "K1": 5, "K2": 4, "K3": 6})
    audit = audit_sample(
        log, grades, month="2026-11", seed=3, level="dealer_rep", reps=_reps(), sizes=1
    )
    assert sorted(set(audit.sample["rep_id"])) == ["K1", "K2", "K3"]
    per_rep = audit.sample.groupby("rep_id")["auditor"].first().to_dict()
    assert per_rep == {"K1": "C1", "K2": "C1", "K3": "C2"}
    assert audit.sample.groupby("rep_id").size().to_dict() == {"K1": 2, "K2": 2, "K3": 2}


def test_levels_are_validated():
    """A supervision level needs reps; a bad level, size or unknown rep is refused."""
    log, grades = _month({"C1": 3})
    with pytest.raises(ValidationError, match="needs the reps table"):
        audit_sample(log, grades, month="2026-11", seed=0, level="supervisor")
    with pytest.raises(ValidationError, match="level: expected one of"):
        audit_sample(log, grades, month="2026-11", seed=0, level="team")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sizes: expected"):
        audit_sample(log, grades, month="2026-11", seed=0, sizes={"A": -1})
    other, other_grades = _month({"X9": 2})
    with pytest.raises(ValidationError, match=r"not in the reps table \(rep_id: 'X9'\)"):
        audit_sample(other, other_grades, month="2026-11", seed=0, level="supervisor", reps=_reps())
    bad = _reps()
    bad.loc[0, "supervisor_id"] = "K1"  # a dealer rep supervising a company rep
    with pytest.raises(ValidationError, match="supervisor_id"):
        audit_sample(log, grades, month="2026-11", seed=0, level="supervisor", reps=bad)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["C1", "C2", "K1", "K2", "K3"]), st.integers(0, 8), min_size=1),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 2**16),
)
def test_supervisor_sample_sizes_per_stratum(stores, size_a, size_b, seed):
    """Every stratum gets min(asked, visited); every sampled store belongs to the area."""
    log, grades = _month(stores)
    audit = audit_sample(
        log,
        grades,
        month="2026-11",
        seed=seed,
        level="supervisor",
        reps=_reps(),
        sizes={"A": size_a, "B": size_b},
    )
    area_of = {"C1": "C1", "K1": "C1", "K2": "C1", "C2": "C2", "K3": "C2"}
    for row in audit.allocation.itertuples(index=False):
        asked = size_a if row.grade == "A" else size_b
        assert row.sampled == min(asked, row.visited)
        drawn = audit.sample[
            (audit.sample["area_rep_id"] == row.area_rep_id)
            & (audit.sample["visited_by"] == row.visited_by)
            & (audit.sample["grade"] == row.grade)
        ]
        assert len(drawn) == row.sampled
    assert (audit.sample["rep_id"].map(area_of) == audit.sample["area_rep_id"]).all()
    assert not audit.sample["customer_id"].duplicated().any()
    dealer_visited = audit.allocation.loc[audit.allocation["visited_by"] == "dealer", "visited"]
    if (size_a > 0 and size_b > 0) and dealer_visited.sum() > 0:
        assert (audit.sample["visited_by"] == "dealer").any()


def test_audit_results_roll_up_per_rep_and_area():
    """Scores fed back: means per rep and per area (C1's area includes K1 and K2)."""
    log, grades = _month({"C1": 2, "K1": 2, "K2": 2, "K3": 2})
    sample = audit_sample(log, grades, month="2026-11", seed=0, sizes=2)  # all 8 stores
    scores = pd.DataFrame(
        {
            "customer_id": ["C1-S00", "C1-S01", "K1-S00", "K1-S01", "K2-S00", "K2-S01", "K3-S00"],
            "score": [90, 80, 60, 40, 70, 70, 50],
        }
    )
    results = audit_results(sample, scores, reps=_reps(), pass_score=60)
    by_rep = results.by_rep.set_index("rep_id")
    assert by_rep.loc["K1", "mean_score"] == 50.0 and by_rep.loc["K1", "passed"] == 1
    assert by_rep.loc["K3", "sampled"] == 2 and by_rep.loc["K3", "scored"] == 1
    by_area = results.by_area.set_index("area_rep_id")
    assert by_area.loc["C1", "sampled"] == 6 and by_area.loc["C1", "auditor"] == "M"
    assert by_area.loc["C1", "mean_score"] == pytest.approx(410 / 6)
    assert by_area.loc["C1", "min_score"] == 40.0
    assert by_area.loc["C1", "pass_rate"] == pytest.approx(5 / 6)
    assert any("no score yet (K3-S01)" in issue for issue in results.issues)
    assert "lowest mean: area_rep_id C2 at 50.0" in results.summary()
    json.dumps(results.to_dict())


def test_audit_results_refuse_scores_outside_the_sample():
    """A score for a store that was not sampled, or a negative score, is an error."""
    log, grades = _month({"C1": 4})
    sample = audit_sample(log, grades, month="2026-11", seed=0, sizes={"A": 1})
    outside = sorted(set(grades["customer_id"]) - set(sample.sample["customer_id"]))[0]
    with pytest.raises(ValidationError, match=f"not in the 2026-11 sample.*{outside}"):
        audit_results(sample, pd.DataFrame({"customer_id": [outside], "score": [50]}))
    with pytest.raises(ValidationError, match="negative"):
        audit_results(
            sample,
            pd.DataFrame({"customer_id": sample.sample["customer_id"], "score": -1}),
        )


def test_execution_and_scorecard_roll_up_to_areas():
    """K1's missed visit lowers C1's area compliance; the area scorecard ranks C2 first."""
    plan = pd.DataFrame(
        {
            "rep_id": ["C1", "K1", "K1", "C2", "K3"],
            "week": 1,
            "weekday": [0, 1, 2, 0, 1],
            "customer_id": ["S1", "S2", "S3", "S4", "S5"],
        }
    )
    log = pd.DataFrame(
        {
            "rep_id": ["C1", "K1", "C2", "K3"],
            "customer_id": ["S1", "S2", "S4", "S5"],
            "timestamp": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-02", "2026-11-03"]),
        }
    )
    run = visit_execution(plan, log, cycle_start="2026-11-02", reps=_reps())
    areas = run.by_area.set_index("area_rep_id")
    assert areas.loc["C1", "planned"] == 3 and areas.loc["C1", "within_tolerance"] == 2
    assert areas.loc["C1", "reps"] == 2 and areas.loc["C1", "auditor"] == "M"
    assert areas.loc["C2", "compliance"] == 1.0
    assert run.to_dict()["by_area"][0]["area_rep_id"] == "C1"
    metrics = area_criteria(execution=run, reps=_reps())
    card = rep_scorecard(metrics, weights={"compliance": 1.0}, id_column="area_rep_id")
    ranked = card.table.sort_values("rank")["area_rep_id"].tolist()
    assert ranked == ["C2", "C1"]
    without = visit_execution(plan, log, cycle_start="2026-11-02")
    assert without.by_area.empty
    with pytest.raises(ValidationError, match="has no areas"):
        area_criteria(execution=without, reps=_reps())


def test_supervisor_sample_is_reproducible_and_order_free():
    """The same seed gives the same area sample whatever the row order of the inputs."""
    log, grades = _month({"C1": 6, "K1": 5, "K2": 4, "C2": 3, "K3": 6})
    kwargs = dict(month="2026-11", seed=9, level="supervisor", reps=_reps(), rate=0.3)
    a = audit_sample(log, grades, **kwargs)
    b = audit_sample(
        log.sample(frac=1.0, random_state=1), grades.sample(frac=1.0, random_state=2), **kwargs
    )
    pd.testing.assert_frame_equal(a.sample, b.sample)
    pd.testing.assert_frame_equal(a.allocation, b.allocation)
