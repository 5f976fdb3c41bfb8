"""Tests of territory.eligibility: who may visit whom, and who answers for whom."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territory.eligibility import COMPANY, eligibility, supervision
from territory.errors import ValidationError
from territory.tables import supervisor_cycles, validate_reps


def _col(values: list[object]) -> pd.Series:
    """A column with missing values (``None``) as a Series."""
    return pd.Series(values, dtype=object)


def _customers() -> pd.DataFrame:
    """A direct store, a dealer, two stores of D1 (one key account) and one of D2."""
    return pd.DataFrame(
        {
            "customer_id": ["direct", "dealer", "s1", "key", "s2"],
            "lon": [9.0, 9.01, 9.02, 9.03, 9.04],
            "lat": [48.0] * 5,
            "kind": ["store", "dealer", "store", "store", "store"],
            "dealer_id": [None, "D1", "D1", "D1", "D2"],
            "key_account": [True, False, False, "yes", 0],
        }
    )


def _reps() -> pd.DataFrame:
    """Two company reps and one rep each for dealers D1 and D2."""
    return pd.DataFrame(
        {
            "rep_id": ["C1", "C2", "R1", "R2"],
            "kind": ["company", "company", "dealer", "dealer"],
            "dealer_id": [None, None, "D1", "D2"],
            "home_lon": [9.0, 9.1, 9.02, 9.04],
            "home_lat": [48.0] * 4,
        }
    )


def _eligible(rules: object, customer: str) -> list[str]:
    from territory.eligibility import Eligibility

    assert isinstance(rules, Eligibility)
    i = rules.customer_ids.tolist().index(customer)
    return [str(r) for r in rules.rep_ids[rules.reps_for(i)]]


def test_rules_by_kind_dealer_and_key_account() -> None:
    """Direct stores and dealers -> company reps; dealer stores -> own reps (+company if key)."""
    rules = eligibility(_customers(), _reps())
    assert _eligible(rules, "direct") == ["C1", "C2"]
    assert _eligible(rules, "dealer") == ["C1", "C2"]
    assert _eligible(rules, "s1") == ["R1"]
    assert _eligible(rules, "key") == ["C1", "C2", "R1"]
    assert _eligible(rules, "s2") == ["R2"]
    assert [rules.side(i) for i in range(5)] == [COMPANY, COMPANY, "D1", COMPANY, "D2"]
    assert rules.to_frame()["rule"].tolist() == ["direct", "direct", "dealer", "dealer", "dealer"]


def test_lock_admits_company_rep_to_main_dealer_store() -> None:
    """Locking a (non-key) dealer store to a company rep is accepted: only that rep serves it."""
    customers = _customers().assign(locked_rep_id=_col([None, None, "C2", None, None]))
    rules = eligibility(customers, _reps())
    assert _eligible(rules, "s1") == ["C2"]
    assert rules.side(2) == COMPANY and rules.rule(2) == "locked"
    assert not rules.may_serve(2, 2)  # its own dealer's rep no longer


@pytest.mark.parametrize(
    ("customer", "rep", "words"),
    [
        ("direct", "R1", "direct-supplied store or a dealer"),
        ("s2", "R1", "store of dealer D2"),
        ("dealer", "R2", "direct-supplied store or a dealer"),
    ],
)
def test_lock_breaking_the_rules_is_refused(customer: str, rep: str, words: str) -> None:
    """A lock to a rep who may not serve the customer names customer, rep and rule."""
    customers = _customers()
    customers["locked_rep_id"] = [rep if c == customer else None for c in customers.customer_id]
    with pytest.raises(ValidationError) as info:
        eligibility(customers, _reps())
    text = str(info.value)
    assert "column 'locked_rep_id' locks 1 customers" in text
    assert f"{customer} -> {rep}" in text and words in text


def test_unknown_lock_and_bad_key_account_are_refused() -> None:
    """A lock naming no rep, and a key_account that is not yes/no, are validation errors."""
    customers = _customers().assign(locked_rep_id=_col(["NOBODY", None, None, None, None]))
    customers.loc[4, "key_account"] = "maybe"
    with pytest.raises(ValidationError) as info:
        eligibility(customers, _reps())
    text = str(info.value)
    assert "'locked_rep_id' has 1 values that no rep has" in text and "'direct'" in text
    assert "'key_account' has 1 values that are not yes/no" in text and "'s2'" in text


def test_unserved_lists_dealers_without_reps() -> None:
    """Customers of a dealer without reps are reported by that dealer."""
    rules = eligibility(_customers(), _reps().iloc[:3])
    assert {side: rules.customer_ids[i].tolist() for side, i in rules.unserved().items()} == {
        "D2": ["s2"]
    }


def _org() -> pd.DataFrame:
    return _reps().assign(supervisor_id=["Area North", "C1", "C1", "C2"])


def test_supervision_chain_and_answering_company_rep() -> None:
    """Each rep's chain runs up to the area manager; dealer reps answer through company reps."""
    table = supervision(_org()).set_index("rep_id")
    assert table.loc["R1", "company_rep_id"] == "C1"
    assert table.loc["R2", "company_rep_id"] == "C2"
    assert table.loc["C2", "company_rep_id"] == "C2"
    assert table.loc["R2", "chain"] == ("R2", "C2", "C1", "Area North")
    assert table.loc["R2", "area_manager_id"] == "C1"
    assert table["level"].to_dict() == {"C1": 0, "C2": 1, "R1": 1, "R2": 2}


def test_supervision_without_column() -> None:
    """Without supervisor_id, company reps answer for themselves and dealer reps for no one."""
    table = supervision(_reps())
    assert table["company_rep_id"].tolist() == ["C1", "C2", None, None]
    assert (table["level"] == 0).all()


@pytest.mark.parametrize(
    ("supervisors", "message"),
    [
        (["Area", "C1", "NOBODY", "C2"], "supervisors that are not in the reps table"),
        (["Area", "C1", "R2", "C2"], "names a dealer rep as the supervisor of 1 reps"),
        (["C2", "C1", "C1", "C2"], "forms 1 cycles of supervisors (C1 -> C2 -> C1)"),
        (["C1", None, None, None], "forms 1 cycles of supervisors (C1 -> C1)"),
    ],
)
def test_bad_supervisors_are_refused(supervisors: list[str | None], message: str) -> None:
    """Unknown supervisors of dealer reps, dealer-rep supervisors and cycles are refused."""
    with pytest.raises(ValidationError) as info:
        validate_reps(_reps().assign(supervisor_id=_col(list(supervisors))))
    assert message in str(info.value)
    assert "reps: column 'supervisor_id'" in str(info.value)


def test_outside_area_manager_is_accepted() -> None:
    """A company rep's area manager need not be in the reps table."""
    frame = validate_reps(
        _reps().assign(supervisor_id=_col(["Manager A", "Manager B", "C1", None]))
    )
    assert frame["supervisor_id"].tolist() == ["Manager A", "Manager B", "C1", None]


def test_supervisor_cycles_finds_each_cycle_once() -> None:
    """Two separate loops and a tail into one of them give two cycles."""
    boss = {"a": "b", "b": "a", "c": "a", "d": "e", "e": "f", "f": "d", "g": None}
    assert sorted(map(sorted, supervisor_cycles(boss))) == [["a", "b"], ["d", "e", "f"]]


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ([-1, None, None, None], [None] * 4, "'min_visits_per_day' has 1 negative values"),
        ([None] * 4, [2.5, None, None, None], "'max_visits_per_day' has 1 non-integer values"),
        ([3, None, None, None], [2, None, None, None], "'min_visits_per_day' is above"),
        ([None] * 4, [0, None, None, None], "'max_visits_per_day' is 0 for 1 reps"),
    ],
)
def test_bad_daily_limits_are_refused(
    low: list[float | None], high: list[float | None], message: str
) -> None:
    """Negative, fractional, zero-maximum and min-above-max daily limits are refused."""
    reps = _reps().assign(min_visits_per_day=_col(list(low)), max_visits_per_day=_col(list(high)))
    with pytest.raises(ValidationError) as info:
        validate_reps(reps)
    assert message in str(info.value) and "'C1'" in str(info.value)


def test_daily_limits_are_normalised() -> None:
    """Valid limits pass as numbers; missing means no limit."""
    frame = validate_reps(
        _reps().assign(
            min_visits_per_day=_col([2, None, 0, 1]), max_visits_per_day=_col(["8", None, 3, 1])
        )
    )
    assert frame["max_visits_per_day"].tolist()[0] == 8.0
    assert np.isnan(frame["min_visits_per_day"].tolist()[1])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    kinds=st.lists(st.sampled_from(["company", "dealer"]), min_size=1, max_size=6),
    data=st.data(),
)
def test_random_supervisors_validate_or_fail_cleanly(kinds: list[str], data: st.DataObject) -> None:
    """Any supervisor map is accepted with finite chains, or refused with a ValidationError."""
    ids = [f"r{i}" for i in range(len(kinds))]
    names = st.sampled_from([*ids, "outside", None, ""])
    bosses = [data.draw(names) for _ in ids]
    reps = pd.DataFrame(
        {
            "rep_id": ids,
            "kind": kinds,
            "dealer_id": [None if k == "company" else "D1" for k in kinds],
            "supervisor_id": _col(list(bosses)),
            "home_lon": 9.0,
            "home_lat": 48.0,
        }
    )
    try:
        table = supervision(reps)
    except ValidationError:
        return
    for chain in table["chain"]:
        assert len(chain) == len(set(chain)) <= len(ids) + 1
    company = table[table["kind"] == "company"]
    assert (company["company_rep_id"] == company["rep_id"]).all()
