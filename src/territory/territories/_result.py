"""The result of territory design: :class:`TerritoryPlan`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from territory._json import json_safe as _json_safe

__all__ = ["TerritoryPlan"]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _json_safe(v) for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]


@dataclass(frozen=True)
class TerritoryPlan:
    """Territories: which rep serves which customer, and how good the split is.

    Attributes
    ----------
    assignment
        One row per customer: ``customer_id, rep_id, moved, reason``. ``moved`` is
        True when a current rep was given and differs; ``reason`` says why it moved
        (``"balance: <measure>"``, ``"compactness"``, ``"balance search"``,
        ``"new customer"``, ``"current rep not in reps"``, ``"dealer rule"``,
        ``"locked"``, ``"pair rule"``), empty when it did not.
    territories
        One row per rep: ``rep_id, group, capacity, customers``, then per measure the
        total, ``<m>_target`` and ``<m>_deviation`` (relative to the target), then
        ``dispersion_km`` (sum of distances from customers to the territory's centre),
        ``diameter_km``, ``components`` (parts on the neighbourhood graph) and
        ``contiguous``.
    out_of_tolerance
        One row per rep and measure outside its tolerance: ``rep_id, measure, total,
        target, deviation, tolerance, excess`` (``excess = |deviation| - tolerance``).
        Empty when every tolerance is met.
    measures
        The balanced measures, in the order given.
    tolerances
        Relative tolerance per measure.
    centre
        ``"centroid"`` or ``"home"``: what dispersion is measured to.
    seed
        The seed used.
    seconds
        Wall-clock time of the design.
    graph_edges_added
        Edges added to join disconnected parts of the neighbourhood graphs.
    graph_edges_pruned
        Overly long Delaunay edges removed.
    locations
        ``customer_id, lon, lat`` of every customer (for maps).
    areas
        The customers' polygons (a GeoSeries in EPSG:4326) when the units are areas.
    """

    assignment: pd.DataFrame
    territories: pd.DataFrame
    out_of_tolerance: pd.DataFrame
    measures: tuple[str, ...]
    tolerances: dict[str, float]
    centre: str
    seed: int
    seconds: float
    graph_edges_added: int = 0
    graph_edges_pruned: int = 0
    locations: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    areas: Any = field(default=None, repr=False)

    @property
    def balanced(self) -> bool:
        """Whether every territory meets every tolerance."""
        return len(self.out_of_tolerance) == 0

    @property
    def contiguous(self) -> bool:
        """Whether every non-empty territory is one connected part."""
        return bool((self.territories["components"] <= 1).all())

    @property
    def n_moved(self) -> int:
        """Customers that changed rep (realignment)."""
        return int(self.assignment["moved"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The assignment table (a copy)."""
        return self.assignment.copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary of the whole plan."""
        return {
            "balanced": self.balanced,
            "contiguous": self.contiguous,
            "measures": list(self.measures),
            "tolerances": _json_safe(self.tolerances),
            "centre": self.centre,
            "seed": int(self.seed),
            "seconds": float(self.seconds),
            "n_customers": len(self.assignment),
            "n_moved": self.n_moved,
            "graph_edges_added": int(self.graph_edges_added),
            "graph_edges_pruned": int(self.graph_edges_pruned),
            "territories": _records(self.territories),
            "out_of_tolerance": _records(self.out_of_tolerance),
            "assignment": _records(self.assignment),
        }

    def _repr_html_(self) -> str:
        """The summary over the first rows of :meth:`to_frame`, for notebooks."""
        from territory._html import result_html

        return result_html(self)

    def summary(self) -> str:
        """A few lines: balance per measure, compactness, contiguity, moves."""
        t = self.territories
        active = t[t["customers"] > 0]
        lines = [
            f"territories: {len(self.assignment)} customers to {len(active)} of {len(t)} "
            f"reps ({t['group'].nunique()} groups), {self.seconds:.1f} s",
        ]
        for m in self.measures:
            dev = active[f"{m}_deviation"].abs()
            worst = float(dev.max()) if len(dev) else 0.0
            lines.append(f"  {m}: worst deviation {worst:.1%} (tolerance {self.tolerances[m]:.1%})")
        lines.append(
            f"  dispersion {t['dispersion_km'].sum():,.1f} km, largest diameter "
            f"{t['diameter_km'].max():,.1f} km, "
            + (
                "all contiguous"
                if self.contiguous
                else f"{int((t['components'] > 1).sum())} territories in several parts"
            )
        )
        if self.balanced:
            lines.append("  every tolerance met")
        else:
            worst_rows = self.out_of_tolerance.sort_values("excess", ascending=False).head(5)
            lines.append(f"  {len(self.out_of_tolerance)} (rep, measure) outside tolerance, e.g.")
            lines.extend(
                f"    {r.rep_id} {r.measure}: {r.deviation:+.1%} (tolerance ±{r.tolerance:.1%})"
                for r in worst_rows.itertuples()
            )
        if self.assignment["moved"].any():
            reasons = self.assignment.loc[self.assignment["moved"], "reason"].value_counts()
            lines.append(
                f"  {self.n_moved} customers moved: "
                + ", ".join(f"{k} {v}" for k, v in reasons.items())
            )
        return "\n".join(lines)

    def to_geodataframe(self, *, region: Any = None) -> Any:
        """Territories as polygons that do not overlap.

        With area units (postcodes, counties) a territory is the union of its areas.
        Otherwise it is the union of its customers' Voronoi cells, clipped to the region,
        so that neighbouring territories share borders and never overlap (see
        ``territory.territories.shapes``).

        Parameters
        ----------
        region
            Area to clip point territories to: a shapely geometry in EPSG:4326 or a
            GeoSeries / GeoDataFrame with a CRS. Default: the convex hull of all
            customers, buffered by their typical spacing. Ignored with area units.

        Returns
        -------
        geopandas.GeoDataFrame
            One row per rep with the columns of :attr:`territories` and a geometry in
            EPSG:4326 (None for a rep without customers).
        """
        import geopandas as gpd
        import shapely

        from territory.territories.shapes import voronoi_shapes

        reps = self.territories["rep_id"].to_numpy(dtype=object)
        position = {rep: i for i, rep in enumerate(reps)}
        owner = np.array(
            [position.get(rep, -1) for rep in self.assignment["rep_id"].to_numpy(dtype=object)],
            dtype=np.int64,
        )
        geoms: list[Any]
        if self.areas is not None:
            areas = np.asarray(self.areas)
            geoms = [
                shapely.union_all(areas[owner == i]) if (owner == i).any() else None
                for i in range(len(reps))
            ]
        else:
            geoms = voronoi_shapes(
                self.locations["lon"].to_numpy(dtype=float),
                self.locations["lat"].to_numpy(dtype=float),
                owner,
                len(reps),
                region=region,
            )
        return gpd.GeoDataFrame(self.territories.copy(), geometry=geoms, crs="EPSG:4326")

    def plot(self, ax: Any = None, *, column: str | None = None) -> Any:
        """Map the territories: customers coloured by rep over the territory outlines.

        Parameters
        ----------
        ax
            A matplotlib axes; a new figure when omitted.
        column
            Territory column to colour the areas by (for example
            ``"workload_deviation"``); customers are coloured by rep when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 8))
        frame = self.to_geodataframe()
        frame = frame[frame.geometry.notna()]
        if column is not None:
            frame.plot(ax=ax, column=column, legend=True, alpha=0.6, edgecolor="black")
        else:
            frame.boundary.plot(ax=ax, color="black", linewidth=0.8)
            codes = pd.factorize(self.assignment["rep_id"])[0]
            ax.scatter(
                self.locations["lon"],
                self.locations["lat"],
                c=codes % 20,
                cmap="tab20",
                s=6,
            )
        ax.set_title(f"{len(frame)} territories")
        return ax
