"""Reader for the Solomon VRPTW benchmark instances (original text format).

Each file has a name line, a ``VEHICLE`` block (number, capacity) and a ``CUSTOMER``
table ``id x y demand ready due service`` whose first row (id 0) is the depot.
Distances and travel times are Euclidean and unrounded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from territory.errors import ValidationError
from territory.routing.engines.problem import DayProblem

__all__ = ["SolomonInstance", "read_solomon", "read_solomon_bks"]


@dataclass(frozen=True)
class SolomonInstance:
    """One Solomon instance.

    Attributes
    ----------
    name
        Instance name, for example ``"R101"``.
    vehicles, capacity
        Fleet size and vehicle capacity.
    ids
        Customer number of each node as written in the file (depot first).
    xy
        ``(n+1, 2)`` coordinates.
    demand, ready, due, service
        ``(n+1,)`` per-node columns of the file.
    """

    name: str
    vehicles: int
    capacity: float
    ids: NDArray[np.int64]
    xy: NDArray[np.float64]
    demand: NDArray[np.float64]
    ready: NDArray[np.float64]
    due: NDArray[np.float64]
    service: NDArray[np.float64]

    def distances(self) -> NDArray[np.float64]:
        """Unrounded Euclidean distance matrix between all nodes."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        return np.asarray(np.sqrt((diff**2).sum(axis=2)), dtype=np.float64)

    def to_day_problem(self) -> DayProblem:
        """The instance as a :class:`DayProblem` (travel = cost = Euclidean distance)."""
        dist = self.distances()
        return DayProblem(
            travel=dist,
            service=self.service.copy(),
            earliest=self.ready.copy(),
            latest=self.due.copy(),
            cost=dist,
            vehicles=self.vehicles,
            demand=self.demand.copy(),
            capacity=self.capacity,
        )


def read_solomon(path: str | Path) -> SolomonInstance:
    """Read one Solomon instance file.

    Parameters
    ----------
    path
        The ``.txt`` file.

    Returns
    -------
    SolomonInstance
        The parsed instance.

    Raises
    ------
    ValidationError
        When the file does not follow the Solomon layout.
    """
    path = Path(path)
    lines = [line.split() for line in path.read_text().splitlines()]
    lines = [line for line in lines if line]
    try:
        name = lines[0][0]
        vehicle_row = next(i for i, line in enumerate(lines) if line[0].upper() == "VEHICLE")
        vehicles, capacity = int(lines[vehicle_row + 2][0]), float(lines[vehicle_row + 2][1])
        customer_row = next(i for i, line in enumerate(lines) if line[0].upper() == "CUSTOMER")
        rows = [
            [float(value) for value in line]
            for line in lines[customer_row + 1 :]
            if line[0].replace(".", "", 1).isdigit()
        ]
    except (IndexError, StopIteration, ValueError) as exc:
        raise ValidationError(f"solomon: {path.name} is not a Solomon instance ({exc})") from exc
    table = np.asarray(rows, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 7 or table.shape[0] < 2 or table[0, 0] != 0:
        raise ValidationError(
            f"solomon: {path.name} needs a customer table with 7 columns starting at the depot 0"
        )
    return SolomonInstance(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        ids=table[:, 0].astype(np.int64),
        xy=table[:, 1:3].copy(),
        demand=table[:, 3].copy(),
        ready=table[:, 4].copy(),
        due=table[:, 5].copy(),
        service=table[:, 6].copy(),
    )


def read_solomon_bks(path: str | Path) -> dict[str, float]:
    """Read ``bks.csv`` and return ``bks_distance`` by instance name.

    Parameters
    ----------
    path
        The ``bks.csv`` file (columns ``instance`` and ``bks_distance``).

    Returns
    -------
    dict
        Best known distance per instance.
    """
    with Path(path).open(newline="") as handle:
        return {row["instance"]: float(row["bks_distance"]) for row in csv.DictReader(handle)}
