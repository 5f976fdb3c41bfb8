"""Progress reports for long calls: a ``progress(done, total)`` callback or a tqdm bar.

Every long-running entry point (:func:`territory.routing.plan_routes`,
:func:`territory.territories.design_territories`, :func:`territory.allocation.allocate`,
:func:`territory.demo.run_demo`) takes the same ``progress=`` argument:

* ``None`` or ``False`` (the default): silent;
* ``True``: a `tqdm <https://tqdm.github.io>`_ bar on standard error, with rate and
  estimated time left;
* a callable: called as ``progress(done, total)`` each time a unit of work (a rep, a
  subproblem, a level, a stage) is finished. Raising inside the callback stops the call
  with that exception, which is how a caller cancels long work.

:func:`resolve_progress` turns the argument into one callable (or ``None``) at the top
of such a function, so the work itself only ever sees ``progress(done, total)``.
Command-line tools use :func:`terminal_progress`: a bar when standard error is a
terminal, nothing when it is a pipe or a file (so logs and CI output stay clean)::

    plan_routes(customers, reps, progress=terminal_progress("planning reps", quiet=quiet))

The bar is an object with its own state (no module-level state): one
:class:`TqdmProgress` per call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Never, TypeAlias

from tqdm import tqdm

from territory.errors import ValidationError

__all__ = [
    "Progress",
    "ProgressCallback",
    "TqdmProgress",
    "nested_progress",
    "resolve_progress",
    "terminal_progress",
]

#: A callback ``progress(done, total)``; its return value is ignored.
ProgressCallback: TypeAlias = Callable[[int, int], object]
#: What a ``progress=`` argument accepts.
Progress: TypeAlias = ProgressCallback | bool | None


class TqdmProgress:
    """A ``progress(done, total)`` callback that draws a tqdm bar (rate and ETA).

    The bar opens at the first call, follows ``done`` and ``total`` as they change, and
    closes when ``done`` reaches ``total``. Calls that repeat a finished count (``done ==
    total`` again) are ignored; a call with ``done`` below the bar's count starts a new
    bar, so one object can follow several rounds of work.

    Parameters
    ----------
    desc
        Label in front of the bar, for example ``"planning reps"``.
    unit
        Name of one unit of work (``"rep"``, ``"subproblem"``).
    file
        Where to draw; standard error by default.
    leave
        Keep the finished bar on screen.
    disable
        ``True`` draws nothing; ``None`` lets tqdm decide (nothing when ``file`` is not a
        terminal).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = TqdmProgress("planning reps", unit="rep", file=out)
    >>> for done in range(1, 4):
    ...     bar(done, 3)
    >>> "planning reps" in out.getvalue() and "3/3" in out.getvalue()
    True
    """

    def __init__(
        self,
        desc: str,
        *,
        unit: str = "it",
        file: IO[str] | None = None,
        leave: bool = True,
        disable: bool | None = False,
    ) -> None:
        self.desc = desc
        self.unit = unit
        self.file = file
        self.leave = leave
        self.disable = disable
        self._bar: tqdm[Never] | None = None
        self._finished: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        """Move the bar to ``done`` of ``total``."""
        done, total = int(done), int(total)
        bar = self._bar
        if bar is None:
            if self._finished is not None and done >= total and self._finished[1] == total:
                return  # a repeated "all done" (for example a second round)
            bar = tqdm(
                total=total,
                desc=self.desc,
                unit=self.unit,
                file=self.file if self.file is not None else sys.stderr,
                leave=self.leave,
                disable=self.disable,
                dynamic_ncols=True,
            )
            self._bar = bar
        if done < bar.n:  # a new round of work: start a fresh bar
            self.close()
            self._finished = None
            self(done, total)
            return
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            self.close()
            self._finished = (done, total)

    def close(self) -> None:
        """Close the bar (a later call opens a new one)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def resolve_progress(progress: object, *, desc: str, unit: str = "it") -> ProgressCallback | None:
    """Turn a ``progress=`` argument into one callback, or ``None`` for silence.

    Parameters
    ----------
    progress
        ``None``/``False`` (silent), ``True`` (a :class:`TqdmProgress` bar on standard
        error) or a callable ``progress(done, total)`` (returned as it is).
    desc
        Label of the bar made for ``True``.
    unit
        Name of one unit of work, for the bar.

    Returns
    -------
    callable or None

    Raises
    ------
    ValidationError
        For anything else.

    Examples
    --------
    >>> resolve_progress(None, desc="x") is None, resolve_progress(False, desc="x") is None
    (True, True)
    >>> isinstance(resolve_progress(True, desc="planning reps"), TqdmProgress)
    True
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return TqdmProgress(desc, unit=unit)
    if callable(progress):
        return progress
    raise ValidationError(
        "progress: must be True (a progress bar), False/None (silent) or a callable "
        f"progress(done, total), got {type(progress).__name__}"
    )


def nested_progress(outer: object, desc: str, *, unit: str = "it") -> TqdmProgress | None:
    """A bar for a step inside a call that shows a bar itself, else ``None``.

    A function that reports its own steps (the demo's stages) and calls others that
    report theirs (the routing's reps) shows both bars when it was asked for a bar, and
    only its own steps to a plain callback.

    Parameters
    ----------
    outer
        The calling function's resolved progress callback.
    desc, unit
        Label and unit of the inner bar.

    Returns
    -------
    TqdmProgress or None
        A bar drawn where ``outer`` draws, removed when done; ``None`` when ``outer`` is
        not a :class:`TqdmProgress`.
    """
    if not isinstance(outer, TqdmProgress):
        return None
    return TqdmProgress(desc, unit=unit, file=outer.file, leave=False, disable=outer.disable)


def terminal_progress(
    desc: str, *, quiet: bool = False, unit: str = "it", stream: IO[str] | None = None
) -> TqdmProgress | None:
    """A bar for command-line tools: shown on a terminal, silent in a pipe.

    Parameters
    ----------
    desc
        Label in front of the bar.
    quiet
        Never show a bar (a ``--quiet`` flag).
    unit
        Name of one unit of work.
    stream
        Where the bar goes; standard error by default.

    Returns
    -------
    TqdmProgress or None
        ``None`` when ``quiet`` or when ``stream`` is not a terminal; pass it on as
        ``progress=`` either way.

    Examples
    --------
    >>> import io
    >>> terminal_progress("planning reps", stream=io.StringIO()) is None  # not a terminal
    True
    """
    out = sys.stderr if stream is None else stream
    isatty = getattr(out, "isatty", None)
    if quiet or not callable(isatty) or not isatty():
        return None
    return TqdmProgress(desc, unit=unit, file=out)
