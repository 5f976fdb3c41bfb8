"""The last step of ``design_territories``: the solved groups as a ``TerritoryPlan``.

Each group's solution labels its customers with local territory numbers; this step maps
them back to reps, says why moved customers moved (realignment), measures every
territory (its load and target of every measure, dispersion, diameter, parts) and lists
the territories out of tolerance. :class:`~territory.territories.TerritoryPlan` itself
is pure data; building it lives here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.territories._context import DesignContext, GroupJob
from territory.territories._result import TerritoryPlan
from territory.territories._rules import Group
from territory.territories.metrics import components_per_territory, diameters_km, dispersion_km
from territory.territories.solve import REASON_COMPACTNESS, REASON_NONE, SubSolution

__all__ = ["Labels", "assemble_plan", "collect_labels"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Labels:
    """The solved groups, on the whole tables.

    Attributes
    ----------
    rep_of
        Every customer's rep (position in the reps table).
    reason_code
        Why the search put each customer where it is (a ``REASON_*`` code or a measure).
    components
        Number of connected parts of every rep's territory.
    added_edges, pruned_edges
        Graph edges added to join islands and pruned as too long, over all groups.
    """

    rep_of: IntArray
    reason_code: IntArray
    components: IntArray
    added_edges: int
    pruned_edges: int


def collect_labels(
    jobs: Sequence[GroupJob], solutions: Sequence[SubSolution], n_customers: int, n_reps: int
) -> Labels:
    """Map every group's local solution back to the whole tables.

    Parameters
    ----------
    jobs
        The solved groups.
    solutions
        Their solutions, in the same order.
    n_customers, n_reps
        Sizes of the whole tables.

    Returns
    -------
    Labels
        Every customer's rep and reason, every territory's number of parts.
    """
    rep_of = np.full(n_customers, -1, dtype=np.int64)
    reason_code = np.full(n_customers, REASON_NONE, dtype=np.int64)
    components = np.zeros(n_reps, dtype=np.int64)
    added = pruned = 0
    for job, solution in zip(jobs, solutions, strict=True):
        idx, rp = job.group.customers, job.group.reps
        rep_of[idx] = rp[solution.labels]
        reason_code[idx] = np.asarray(solution.reasons, dtype=np.int64)
        components[rp] = components_per_territory(job.graph.edges(), solution.labels, len(rp))
        added += job.graph.added_edges
        pruned += job.graph.pruned_edges
    assert (rep_of >= 0).all(), "every customer is assigned"
    return Labels(rep_of, reason_code, components, added, pruned)


def _reason_text(code: int, names: tuple[str, ...]) -> str:
    if code >= 0:
        return f"balance: {names[code]}"
    if code == REASON_COMPACTNESS:
        return "compactness"
    if code == REASON_NONE:
        return "rules"
    return "balance search"


def _assignment(ctx: DesignContext, labels: Labels) -> pd.DataFrame:
    """Customer -> rep, and whether and why each customer moved from its current rep."""
    n = len(ctx.customers)
    rep_of, current = labels.rep_of, ctx.current
    moved = np.zeros(n, dtype=bool)
    reasons = [""] * n
    if current is not None:
        moved = (current >= 0) & (rep_of != current)
        for i in range(n):
            if ctx.forced[i] and (moved[i] or current[i] < 0):
                reasons[i] = ctx.forced[i]
            elif moved[i]:
                reasons[i] = _reason_text(int(labels.reason_code[i]), ctx.names)
    rep_ids = ctx.reps["rep_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "customer_id": ctx.customers["customer_id"].to_numpy(dtype=object),
            "rep_id": rep_ids[rep_of],
            "moved": moved,
            "reason": reasons,
        }
    )


def _balance_columns(
    ctx: DesignContext, groups: Sequence[Group], rep_of: IntArray, table: dict[str, Any]
) -> list[dict[str, object]]:
    """Add every measure's load, target and deviation to ``table``; rows out of tolerance."""
    p = len(ctx.reps)
    rep_ids = ctx.reps["rep_id"].to_numpy(dtype=object)
    load = np.zeros((p, len(ctx.names)))
    np.add.at(load, rep_of, ctx.values)
    out_rows: list[dict[str, object]] = []
    for g in groups:
        if len(g.reps) == 0:
            continue
        totals = ctx.values[g.customers].sum(axis=0)
        share = ctx.capacity[g.reps] / ctx.capacity[g.reps].sum()
        for j, name in enumerate(ctx.names):
            target = share * totals[j]
            load_j = load[g.reps, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                dev = np.where(target > 0, load_j / target - 1.0, 0.0)
            table.setdefault(name, np.zeros(p))[g.reps] = load_j
            table.setdefault(f"{name}_target", np.zeros(p))[g.reps] = target
            table.setdefault(f"{name}_deviation", np.zeros(p))[g.reps] = dev
            tol = ctx.tolerance[j]
            for t in np.flatnonzero(np.abs(dev) > tol + 1e-9).tolist():
                out_rows.append(
                    {
                        "rep_id": rep_ids[g.reps[t]],
                        "measure": name,
                        "total": float(load_j[t]),
                        "target": float(target[t]),
                        "deviation": float(dev[t]),
                        "tolerance": float(tol),
                        "excess": float(abs(dev[t]) - tol),
                    }
                )
    for name in ctx.names:  # reps of groups without customers
        for column in (name, f"{name}_target", f"{name}_deviation"):
            table.setdefault(column, np.zeros(p))
    return out_rows


def _centres(ctx: DesignContext, rep_of: IntArray) -> FloatArray:
    """Every territory's centre: the rep's home, or the customers' centroid."""
    if ctx.centre == "home":
        return ctx.homes
    p = len(ctx.reps)
    centres = np.zeros((p, 2))
    count = np.bincount(rep_of, minlength=p).astype(float)
    for d in (0, 1):
        centres[:, d] = np.bincount(rep_of, weights=ctx.xy[:, d], minlength=p)
    out: FloatArray = centres / np.maximum(count, 1.0)[:, None]
    return out


def assemble_plan(
    ctx: DesignContext,
    groups: Sequence[Group],
    jobs: Sequence[GroupJob],
    solutions: Sequence[SubSolution],
) -> TerritoryPlan:
    """Put the subproblem solutions together into a :class:`TerritoryPlan`.

    Parameters
    ----------
    ctx
        The region and settings of the run.
    groups
        Every group, including those with reps but no customers.
    jobs
        The groups that were solved.
    solutions
        Their solutions, in the same order.

    Returns
    -------
    TerritoryPlan
        The plan; a warning is logged for measures out of tolerance and split
        territories.
    """
    p = len(ctx.reps)
    labels = collect_labels(jobs, solutions, len(ctx.customers), p)
    rep_of = labels.rep_of
    assignment = _assignment(ctx, labels)
    table: dict[str, Any] = {
        "rep_id": ctx.reps["rep_id"].to_numpy(dtype=object),
        "group": ctx.rep_groups,
        "capacity": ctx.capacity,
        "customers": np.bincount(rep_of, minlength=p),
    }
    out_rows = _balance_columns(ctx, groups, rep_of, table)
    table["dispersion_km"] = dispersion_km(ctx.xy, rep_of, _centres(ctx, rep_of), p)
    table["diameter_km"] = diameters_km(ctx.xy, rep_of, p)
    table["components"] = labels.components
    table["contiguous"] = labels.components <= 1
    plan = TerritoryPlan(
        assignment=assignment,
        territories=pd.DataFrame(table),
        out_of_tolerance=pd.DataFrame(
            out_rows,
            columns=["rep_id", "measure", "total", "target", "deviation", "tolerance", "excess"],
        ),
        measures=ctx.names,
        tolerances={m: float(t) for m, t in zip(ctx.names, ctx.tolerance, strict=True)},
        centre=ctx.centre,
        seed=ctx.seed,
        seconds=time.perf_counter() - ctx.started,
        graph_edges_added=labels.added_edges,
        graph_edges_pruned=labels.pruned_edges,
        locations=pd.DataFrame(
            {
                "customer_id": assignment["customer_id"],
                "lon": ctx.customers["lon"].to_numpy(float),
                "lat": ctx.customers["lat"].to_numpy(float),
            }
        ),
        areas=ctx.areas,
    )
    _warn(plan)
    return plan


def _warn(plan: TerritoryPlan) -> None:
    """Log a warning for every measure out of tolerance and for split territories."""
    if not plan.balanced:
        worst = plan.out_of_tolerance.groupby("measure")["excess"].agg(["max", "size"])
        logger.warning(
            "territories: tolerances not met for %s",
            "; ".join(
                f"{m} in {int(r['size'])} territories (up to {r['max']:.1%} beyond ±"
                f"{plan.tolerances[str(m)]:.1%})"
                for m, r in worst.iterrows()
            ),
        )
    split = plan.territories[plan.territories["components"] > 1]
    if len(split):
        logger.warning(
            "territories: %d territories are in several parts (rep_id: %s); locks or pairs "
            "may force this",
            len(split),
            ", ".join(map(str, split["rep_id"].head(5))),
        )
