"""Notebook display of results: the summary over the first rows of the result's table.

Every result has ``summary()`` (a few lines of text) and ``to_frame()`` (its main table).
Jupyter shows an object's ``_repr_html_()`` when a cell ends with it; the results define
that as a one-line method calling :func:`result_html`, so that all of them look alike
and the layout lives in one place. Text is escaped; the table is pandas' own HTML, cut
to ``max_rows`` rows (head and tail) so that a plan of 100,000 visits stays a small
output.
"""

from __future__ import annotations

import html
from typing import Protocol

import pandas as pd

__all__ = ["result_html"]

#: Rows of the table shown (pandas shows the first and last half of them).
MAX_ROWS = 10


class _Result(Protocol):
    def summary(self) -> str: ...

    def to_frame(self) -> pd.DataFrame: ...


def result_html(result: _Result, *, max_rows: int = MAX_ROWS) -> str:
    """HTML of a result: its class name, its summary and the head and tail of its table.

    Parameters
    ----------
    result
        Any object with ``summary() -> str`` and ``to_frame() -> DataFrame``.
    max_rows
        Rows of the table to show (pandas shows the first and the last half).

    Returns
    -------
    str
        A ``<div>`` with a title, the summary in ``<pre>`` and the table.

    Examples
    --------
    >>> class Tiny:
    ...     def summary(self) -> str:
    ...         return "2 rows < 3"
    ...
    ...     def to_frame(self) -> pd.DataFrame:
    ...         return pd.DataFrame({"x": [1, 2]})
    >>> text = result_html(Tiny())
    >>> "<strong>Tiny</strong>" in text, "2 rows &lt; 3" in text, text.count("<tr")
    (True, True, 3)
    """
    frame = result.to_frame()
    rows, columns = frame.shape
    shape = f"{rows:,} rows × {columns} columns"
    if rows > max_rows:
        shape += f", first and last {max_rows // 2} shown; <code>to_frame()</code> has all"
    table = frame.to_html(max_rows=max_rows, max_cols=20, border=0, notebook=True)
    return (
        '<div class="territory-result">'
        f"<p><strong>{html.escape(type(result).__name__)}</strong></p>"
        f"<pre>{html.escape(result.summary())}</pre>"
        f"<details open><summary>{shape}</summary>{table}</details>"
        "</div>"
    )
