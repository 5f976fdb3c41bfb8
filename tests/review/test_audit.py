"""Tests of the grade-stratified audit sample."""

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.errors import ValidationError
from territory.review import allocate_proportional, audit_sample


def _visits() -> tuple[pd.DataFrame, pd.DataFrame]:
    """R1 visited 40 stores (4 A, 12 B, 24 C), R2 visited 5 stores (all C), in Nov 2026."""
    rows = []
    grades = []
    for i in range(40):
        grade = "A" if i < 4 else "B" if i < 16 else "C"
        grades.append((f"S{i:03d}", grade))
        rows.append(("R1", f"S{i:03d}", f"2026-11-{1 + i % 28:02d} 10:00"))
    for i in range(40, 45):
        grades.append((f"S{i:03d}", "C"))
        rows.append(("R2", f"S{i:03d}", "2026-11-05 11:00"))
    rows.append(("R1", "S000", "2026-11-20 09:00"))  # a second visit
    rows.append(("R1", "S001", "2026-10-30 09:00"))  # last month
    log = pd.DataFrame(rows, columns=["rep_id", "customer_id", "timestamp"])
    log["timestamp"] = pd.to_datetime(log["timestamp"])
    return log, pd.DataFrame(grades, columns=["customer_id", "grade"])


def test_allocation_is_proportional_with_one_per_grade() -> None:
    """R1 samples ceil(10 % of 40) = 4: A 1, B 1, C 2 (quota 0.4, 1.2, 2.4; A raised to 1)."""
    log, grades = _visits()
    audit = audit_sample(log, grades, month="2026-11", seed=7, rate=0.1, min_per_rep=3)
    alloc = audit.allocation.set_index(["rep_id", "grade"])["sampled"].to_dict()
    assert alloc == {("R1", "A"): 1, ("R1", "B"): 1, ("R1", "C"): 2, ("R2", "C"): 3}
    assert len(audit.sample) == 7
    assert set(audit.sample.groupby("rep_id").size().to_dict().items()) == {("R1", 4), ("R2", 3)}
    s000 = audit.allocation.set_index(["rep_id", "grade"]).loc[("R1", "A"), "visited"]
    assert s000 == 4
    assert any("other months" in issue for issue in audit.issues)


def test_same_seed_same_sample_and_shuffled_input_same_sample() -> None:
    """Reproducible with the same seed, independent of row order; another seed differs."""
    log, grades = _visits()
    a = audit_sample(log, grades, month="2026-11", seed=11, rate=0.3)
    b = audit_sample(log, grades, month="2026-11", seed=11, rate=0.3)
    shuffled = audit_sample(
        log.sample(frac=1.0, random_state=1),
        grades.sample(frac=1.0, random_state=2),
        month="2026-11",
        seed=11,
        rate=0.3,
    )
    pd.testing.assert_frame_equal(a.sample, b.sample)
    pd.testing.assert_frame_equal(a.sample, shuffled.sample)
    others = [
        audit_sample(log, grades, month="2026-11", seed=s, rate=0.3).sample for s in range(12, 16)
    ]
    assert any(not o["customer_id"].equals(a.sample["customer_id"]) for o in others)


def test_one_rep_does_not_change_another_reps_sample() -> None:
    """Dropping R2's visits leaves R1's sample unchanged (one generator per rep)."""
    log, grades = _visits()
    both = audit_sample(log, grades, month="2026-11", seed=5, rate=0.3)
    alone = audit_sample(log[log["rep_id"] == "R1"], grades, month="2026-11", seed=5, rate=0.3)
    pd.testing.assert_frame_equal(
        both.sample[both.sample["rep_id"] == "R1"].reset_index(drop=True), alone.sample
    )


def test_minimum_and_maximum_per_rep() -> None:
    """A rep with fewer stores than the minimum gets all of them (reported); max caps."""
    log, grades = _visits()
    audit = audit_sample(log, grades, month="2026-11", seed=1, rate=0.01, min_per_rep=6)
    sizes = audit.sample.groupby("rep_id").size().to_dict()
    assert sizes == {"R1": 6, "R2": 5}
    assert any("fewer stores than the minimum of 6" in issue for issue in audit.issues)
    capped = audit_sample(
        log, grades, month="2026-11", seed=1, rate=0.5, min_per_rep=2, max_per_rep=3
    )
    assert capped.sample.groupby("rep_id").size().to_dict() == {"R1": 3, "R2": 3}
    json.dumps(capped.to_dict(), allow_nan=False)


def test_unknown_store_and_bad_parameters_raise() -> None:
    """A visit to a store without a grade row, a bad month or rate is a ValidationError."""
    log, grades = _visits()
    with pytest.raises(ValidationError, match=r"unknown customers \(not in grades\).*S044"):
        audit_sample(log, grades[grades["customer_id"] != "S044"], month="2026-11", seed=1)
    with pytest.raises(ValidationError, match="month"):
        audit_sample(log, grades, month="11/2026", seed=1)
    with pytest.raises(ValidationError, match="rate"):
        audit_sample(log, grades, month="2026-11", seed=1, rate=0)


def test_missing_grade_is_its_own_stratum() -> None:
    """A store with an empty grade is sampled in the '(ungraded)' stratum and reported."""
    log, grades = _visits()
    grades.loc[grades["customer_id"] == "S040", "grade"] = None
    audit = audit_sample(log, grades, month="2026-11", seed=1, min_per_rep=5)
    assert "(ungraded)" in set(audit.allocation["grade"])
    assert any("no grade" in issue for issue in audit.issues)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 50), min_size=1),
    n=st.integers(0, 60),
)
def test_allocation_properties(sizes: dict[str, int], n: int) -> None:
    """The allocation sums to min(n, total), respects sizes and gives one per grade when it can."""
    alloc = allocate_proportional(sizes, n)
    total = sum(sizes.values())
    assert sum(alloc.values()) == min(n, total)
    assert all(0 <= alloc[k] <= sizes[k] for k in sizes)
    present = [k for k, v in sizes.items() if v > 0]
    if n >= len(present):
        assert all(alloc[k] >= 1 for k in present)
