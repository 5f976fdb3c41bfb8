"""The dealers table: ``dealer_id`` (unique), optional ``name``, a location."""

from __future__ import annotations

import pandas as pd

from territory.errors import ProblemCollector
from territory.tables.columns import (
    check_id_column,
    check_required,
    check_unique_columns,
    normalise_ids,
)
from territory.tables.locations import check_coordinates, to_plain_frame

__all__ = ["validate_dealers"]


def validate_dealers(dealers: pd.DataFrame) -> pd.DataFrame:
    """Validate and normalise the dealers table.

    Parameters
    ----------
    dealers
        ``dealer_id``, optional ``name``, and ``lon``/``lat`` or point geometry.

    Returns
    -------
    pandas.DataFrame
        A normalised copy.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    table, id_column = "dealers", "dealer_id"
    problems = ProblemCollector()
    check_unique_columns(dealers, table)
    if not isinstance(dealers, pd.DataFrame) or id_column not in dealers.columns:
        check_required(
            pd.DataFrame(dealers) if isinstance(dealers, pd.DataFrame) else pd.DataFrame(),
            table,
            [id_column],
            problems,
        )
        problems.raise_if_any()
    frame = to_plain_frame(
        dealers, table=table, lon="lon", lat="lat", problems=problems, id_column=id_column
    )
    normalise_ids(frame, id_column)
    if check_required(frame, table, [id_column, "lon", "lat"], problems):
        check_id_column(frame, table, id_column, problems)
        check_coordinates(frame, table, "lon", "lat", id_column, problems)
    problems.raise_if_any()
    return frame.reset_index(drop=True)
