"""Options of :func:`allocate_plan`: measures, new products and promotions."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from territory.allocation._hierarchy import parse_months
from territory.allocation._rounding import MIN_STEP
from territory.errors import ValidationError

__all__ = ["Measure", "NewProduct", "Promotion"]


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


@dataclass(frozen=True)
class Measure:
    """One measure of a target plan: sales value, quantity or market share.

    Parameters
    ----------
    name
        The measure's name in the result (``"value"``, ``"quantity"``, ...).
    target
        The total to split, or a mapping product line → total (every line of the plan,
        new products included). Not used with ``share``.
    column
        The history column of this measure (``"sales"`` for value, ``"quantity"``...).
    step, month_step
        Rounding steps of yearly and monthly figures (see :func:`allocate`).
    share
        A market-share target in (0, 1]: the measure's total is ``share ×`` the summed
        market size, and every unit's share target (its figure ÷ its market size) is
        reported.
    market
        Market size per key (a hierarchy column name or a Series indexed by key), in the
        unit of ``column``; needed by ``share``.

    Examples
    --------
    >>> Measure("quantity", 50_000, column="quantity").column
    'quantity'
    >>> Measure("share", share=0.25, market="market_size").target is None
    True
    """

    name: str
    target: float | Mapping[str, float] | None = None
    column: str = "sales"
    step: float = 1
    month_step: float | None = None
    share: float | None = None
    market: str | pd.Series | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.name, str) or not self.name:
            problems.append(f"Measure: name must be a non-empty text, got {self.name!r}")
        if self.share is not None:
            if not _finite(self.share) or not 0 < float(self.share) <= 1:
                problems.append(
                    f"Measure {self.name!r}: share must lie in (0, 1], got {self.share!r}"
                )
            if self.market is None:
                problems.append(f"Measure {self.name!r}: share needs the market size (market=...)")
            if self.target is not None:
                problems.append(f"Measure {self.name!r}: give a target or a share, not both")
        elif self.target is None:
            problems.append(f"Measure {self.name!r}: give a target (or a market share)")
        elif isinstance(self.target, Mapping):
            bad = [k for k, v in self.target.items() if not _finite(v) or v < 0]
            if bad or not self.target:
                problems.append(
                    f"Measure {self.name!r}: target per line must be non-negative numbers "
                    f"(lines: {bad})"
                )
            else:
                object.__setattr__(self, "target", dict(self.target))
        elif not _finite(self.target) or float(self.target) < 0:
            problems.append(
                f"Measure {self.name!r}: target must be a non-negative number, got {self.target!r}"
            )
        for label, step in (("step", self.step), ("month_step", self.month_step)):
            if step is not None and (not _finite(step) or float(step) < MIN_STEP):
                problems.append(
                    f"Measure {self.name!r}: {label} must be a finite number of at least "
                    f"{MIN_STEP}, got {step!r}"
                )
        if problems:
            raise ValidationError(problems)


@dataclass(frozen=True)
class NewProduct:
    """A product line without (enough) history.

    Parameters
    ----------
    line
        The line's name in the result.
    share
        Its share of every measure's total target, in [0, 1).
    amount
        A fixed amount instead: one number for every measure, or measure name →
        amount.
    like
        Spread the line over units and months like this line's history (which may be the
        line's own short history); default: like all lines together.

    Examples
    --------
    >>> NewProduct("tea", share=0.1).share
    0.1
    """

    line: str
    share: float | None = None
    amount: float | Mapping[str, float] | None = None
    like: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.line, str) or not self.line:
            problems.append(f"NewProduct: line must be a non-empty text, got {self.line!r}")
        if self.share is not None and self.amount is not None:
            problems.append(f"NewProduct {self.line!r}: give a share or an amount, not both")
        if self.share is not None and (not _finite(self.share) or not 0 <= self.share < 1):
            problems.append(
                f"NewProduct {self.line!r}: share must lie in [0, 1), got {self.share!r}"
            )
        if isinstance(self.amount, Mapping):
            if any(not _finite(v) or v < 0 for v in self.amount.values()):
                problems.append(f"NewProduct {self.line!r}: amounts must be non-negative numbers")
            else:
                object.__setattr__(self, "amount", dict(self.amount))
        elif self.amount is not None and (not _finite(self.amount) or self.amount < 0):
            problems.append(
                f"NewProduct {self.line!r}: amount must be a non-negative number, got "
                f"{self.amount!r}"
            )
        if problems:
            raise ValidationError(problems)

    def amount_for(self, measure: str) -> float | None:
        """The fixed amount of one measure, or None."""
        if isinstance(self.amount, Mapping):
            value = self.amount.get(measure)
            return None if value is None else float(value)
        return None if self.amount is None else float(self.amount)


@dataclass(frozen=True)
class Promotion:
    """A promotion: expected sales of some stores in some months rise by ``uplift``.

    Parameters
    ----------
    uplift
        Relative rise, e.g. ``0.2`` for +20 % (> -1).
    months
        Plan months (``"YYYY-MM"``) of the promotion.
    customers
        Keys (stores) in the promotion; ``None`` for every store.
    lines
        Product lines in the promotion; ``None`` for every line.

    Examples
    --------
    >>> Promotion(0.3, months=["2027-05"], customers=["C1"]).months
    ('2027-05',)
    """

    uplift: float
    months: Sequence[str]
    customers: Sequence[Hashable] | None = None
    lines: Sequence[str] | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not _finite(self.uplift) or self.uplift <= -1:
            problems.append(f"Promotion: uplift must be a number above -1, got {self.uplift!r}")
        months = [self.months] if isinstance(self.months, str) else list(self.months)
        parsed = parse_months(months)
        if not months or parsed is None:
            problems.append(f"Promotion: months must be 'YYYY-MM' months, got {self.months!r}")
        object.__setattr__(self, "months", tuple(months))
        if self.customers is not None:
            object.__setattr__(self, "customers", tuple(self.customers))
        if self.lines is not None:
            lines = [self.lines] if isinstance(self.lines, str) else list(self.lines)
            object.__setattr__(self, "lines", tuple(lines))
        if problems:
            raise ValidationError(problems)
