"""``design_territories``: balanced, compact, contiguous territories for every rep."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.progress import Progress, resolve_progress
from territory.tables import validate_customers, validate_reps
from territory.territories._graph import neighbourhood_graph, polygon_edges, project_km
from territory.territories._measures import measure_values
from territory.territories._metrics import components_per_territory, diameters_km, dispersion_km
from territory.territories._result import TerritoryPlan
from territory.territories._rules import (
    Group,
    capacities,
    conflict_lists,
    customer_groups,
    lock_targets,
    split_groups,
)
from territory.territories._solve import (
    REASON_COMPACTNESS,
    REASON_NONE,
    Subproblem,
    SubSolution,
)
from territory.territories._split import solve_subproblems
from territory.travel import GreatCircleTravel, TravelModel

__all__ = ["design_territories"]

logger = logging.getLogger("territory")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _split_areas(customers: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """Replace polygon geometry by representative points; return the polygons (EPSG:4326)."""
    name = getattr(customers, "_geometry_column_name", None)
    if name is None or name not in customers.columns:
        return customers, None
    geometry = customers.geometry
    kinds = set(geometry.dropna().geom_type)
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        return customers, None
    if geometry.crs is None:
        raise ValidationError(
            f"customers: column '{name}' has no CRS; set one so that areas can be located"
        )
    empty = geometry.isna() | geometry.is_empty
    if empty.any():
        ids = customers.get("customer_id", customers.index)
        raise ValidationError(
            f"customers: column '{name}' has {int(empty.sum())} missing or empty polygons "
            f"(customer_id: {', '.join(repr(str(i)) for i in list(ids[empty.to_numpy()])[:5])})"
        )
    areas = geometry.to_crs(4326) if geometry.crs.to_epsg() != 4326 else geometry
    points = areas.representative_point()
    frame = pd.DataFrame(customers.drop(columns=[name]))
    frame["lon"] = points.x.to_numpy()
    frame["lat"] = points.y.to_numpy()
    return frame, areas.reset_index(drop=True)


def _current_positions(
    customers: pd.DataFrame, reps: pd.DataFrame, column: str
) -> tuple[IntArray | None, list[str]]:
    """Position of each customer's current rep (-1 none / unknown) and a note per customer."""
    if column not in customers.columns:
        return None, []
    position = {str(r): i for i, r in enumerate(reps["rep_id"])}
    out = np.full(len(customers), -1, dtype=np.int64)
    notes = [""] * len(customers)
    for i, value in enumerate(customers[column].tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            notes[i] = "new customer"
            continue
        text = str(value).strip()
        if not text:
            notes[i] = "new customer"
        elif text not in position:
            notes[i] = "current rep not in reps"
        else:
            out[i] = position[text]
    return out, notes


def _check_options(
    centre: str,
    max_moves: int | None,
    max_moved_share: Mapping[str, float] | None,
    balance: Mapping[str, float],
    starts: int,
    max_starts: int,
    region_size: int | None,
    problems: ProblemCollector,
) -> None:
    if centre not in ("centroid", "home"):
        problems.add("options", None, f"centre must be 'centroid' or 'home', got {centre!r}")
    if max_moves is not None and (isinstance(max_moves, bool) or int(max_moves) < 0):
        problems.add("options", None, f"max_moves must be a non-negative int, got {max_moves!r}")
    for name, share in (max_moved_share or {}).items():
        if name not in balance:
            problems.add(
                "options",
                None,
                f"max_moved_share names '{name}', which is not a balance measure",
            )
        elif not 0 <= float(share) <= 1:
            problems.add(
                "options", None, f"max_moved_share['{name}'] must lie in [0, 1], got {share!r}"
            )
    if starts < 1 or max_starts < 1:
        problems.add("options", None, "starts and max_starts must be at least 1")
    if region_size is not None and (isinstance(region_size, bool) or int(region_size) < 1):
        problems.add(
            "options", None, f"region_size must be None or a positive int, got {region_size!r}"
        )


def design_territories(
    customers: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    balance: Mapping[str, float],
    pairs: pd.DataFrame | None = None,
    centre: str = "centroid",
    current_column: str = "current_rep_id",
    max_moves: int | None = None,
    max_moved_share: Mapping[str, float] | None = None,
    travel: TravelModel | None = None,
    max_edge_factor: float | None = 3.0,
    seed: int = 0,
    starts: int = 4,
    max_starts: int = 12,
    kicks: int = 20,
    time_limit: float | None = None,
    region_size: int | None = 32,
    executor: Executor | None = None,
    progress: Progress = None,
) -> TerritoryPlan:
    """Assign every customer to exactly one rep in balanced, compact, contiguous territories.

    Parameters
    ----------
    customers
        Customers (see :mod:`territory.tables`): ``customer_id``, ``lon``/``lat`` or
        geometry -- points, or polygons when the units are areas (postcodes, counties),
        which then border each other by touching -- plus the measure columns named in
        ``balance``, and optionally ``kind``, ``dealer_id``, ``key_account``,
        ``locked_rep_id`` (pin a customer to a rep) and ``current_rep_id`` (realignment).
        Who may serve whom follows :mod:`territory.eligibility`: key accounts and
        customers locked to a company rep join the company's territories even when a
        dealer supplies them.
    reps
        Reps: ``rep_id``, ``home_lon``/``home_lat``, ``kind``, ``dealer_id`` and
        optionally ``capacity`` (0.5 for a part-time rep, who gets half a share).
    balance
        Measure to relative tolerance around the capacity-weighted mean, for example
        ``{"workload": 0.05, "potential": 0.05, "count": 0.10}``. ``count`` and
        ``workload`` are special (see :mod:`territory.territories._measures`); any
        other name is a numeric column of ``customers``.
    pairs
        Customers that must not share a territory: ``customer_id_a, customer_id_b``.
    centre
        ``"centroid"``: dispersion is measured to each territory's centroid and reps get
        the territory nearest their home; ``"home"``: to the rep's fixed home.
    current_column
        Column of ``customers`` with the current rep. When present, the plan starts
        from the current assignment and reports who moved and why.
    max_moves
        Realignment budget: most customers the optimiser may move away from their
        current rep (split over dealers and company by size). Moves forced by rules
        (dealer nesting, locks, pairs, reps that left) are always made, not counted.
    max_moved_share
        Realignment budget per measure: most of its total (a share) that may move.
    travel
        Travel model for the workload estimate (default great-circle).
    max_edge_factor
        Delaunay edges longer than this many times the local median edge are pruned;
        ``None`` keeps them all. Parts left disconnected (islands) are joined by their
        nearest pair of points.
    seed
        Random seed; the same inputs and seed give the same plan.
    starts
        Constructions always tried per subproblem (the most compact balanced plan wins).
    max_starts
        Most constructions tried while some tolerance is not met.
    kicks
        Perturbations per construction while some tolerance is not met.
    time_limit
        Seconds per subproblem (or part, see ``region_size``) after which the search
        stops early (makes the result depend on machine speed; ``None`` for none).
    region_size
        Groups of more reps than this start from a recursive bisection: split in
        contiguous parts balanced to a fraction of the tolerances, parts of at most
        ``region_size`` territories designed on their own, then one search over the
        whole group. Faster than growing hundreds of territories at once, and as
        compact. ``None`` always designs a group in one piece. Realignment runs are
        never cut.
    executor
        Runs the independent subproblems (company part, each dealer, each part of a
        cut group) in parallel; in-process when omitted.
    progress
        Called as ``progress(done, total)`` as each subproblem (or part of one) is
        designed; ``True`` shows a tqdm bar with the time left (see
        :mod:`territory.progress`).

    Returns
    -------
    TerritoryPlan
        The best plan found. When a tolerance cannot be met, the plan says which
        measures are out of tolerance by how much and a warning is logged.

    Raises
    ------
    ValidationError
        For bad input: unknown or disallowed reps in locks, a dealer whose stores have
        no rep, missing or negative measure values, bad tolerances or options.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame(
    ...     {"customer_id": [f"C{i}" for i in range(6)], "lon": [0.01 * i for i in range(6)],
    ...      "lat": [0.0] * 6}
    ... )
    >>> reps = pd.DataFrame({"rep_id": ["A", "B"], "home_lon": [0.0, 0.05],
    ...                      "home_lat": [0.0, 0.0]})
    >>> plan = design_territories(customers, reps, balance={"count": 0.01})
    >>> plan.assignment["rep_id"].tolist()
    ['A', 'A', 'A', 'B', 'B', 'B']
    """
    started = time.perf_counter()
    report = resolve_progress(progress, desc="designing territories", unit="part")
    frame, areas = (
        _split_areas(customers) if isinstance(customers, pd.DataFrame) else (customers, None)
    )
    cust = validate_customers(frame)
    rep = validate_reps(reps)
    problems = ProblemCollector()
    _check_options(
        centre, max_moves, max_moved_share, balance, starts, max_starts, region_size, problems
    )
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        problems.add(
            "options",
            None,
            f"time_limit must be a positive number of seconds (or None), got {time_limit!r}",
        )
    names, values, tolerance = measure_values(
        cust, balance, travel=travel or GreatCircleTravel(), problems=problems
    )
    capacity = capacities(rep, problems)
    locks, rules = lock_targets(cust, rep, problems)
    conflicts = conflict_lists(cust, pairs, locks, problems)
    groups = split_groups(cust, rep, rules, problems)
    current, notes = _current_positions(cust, rep, current_column)
    problems.raise_if_any()

    origin = (float(cust["lon"].mean()), float(cust["lat"].mean())) if len(cust) else (0.0, 0.0)
    xy = project_km(cust["lon"].to_numpy(float), cust["lat"].to_numpy(float), origin=origin)
    homes = project_km(
        rep["home_lon"].to_numpy(float), rep["home_lat"].to_numpy(float), origin=origin
    )
    area_edges = polygon_edges(areas) if areas is not None else None
    c_group = np.array(customer_groups(rules), dtype=object)
    r_group = np.array(
        [
            "company" if k != "dealer" else str(d)
            for k, d in zip(rep["kind"], rep["dealer_id"], strict=True)
        ],
        dtype=object,
    )
    forced = _forced_notes(current, notes, c_group, r_group, locks, conflicts)
    local_current = None
    if current is not None:
        local_current = np.where(np.array([f == "" for f in forced]), current, -1)

    built = [
        _subproblem(
            g,
            k,
            xy=xy,
            homes=homes,
            values=values,
            tolerance=tolerance,
            capacity=capacity,
            locks=locks,
            conflicts=conflicts,
            current=local_current,
            area_edges=area_edges,
            max_edge_factor=max_edge_factor,
            centre=centre,
            max_moves=max_moves,
            max_moved_share=max_moved_share,
            names=names,
            n_total=len(cust),
            seed=seed,
            starts=starts,
            max_starts=max_starts,
            kicks=kicks,
            time_limit=time_limit,
            region_size=region_size,
        )
        for k, g in enumerate(groups)
    ]
    jobs = [b for b in built if b is not None]
    solutions = solve_subproblems([job[1] for job in jobs], executor, progress=report)
    return _assemble(
        cust,
        rep,
        groups,
        jobs,
        solutions,
        names=names,
        tolerance=tolerance,
        values=values,
        capacity=capacity,
        xy=xy,
        homes=homes,
        current=current,
        forced=forced,
        conflicts=conflicts,
        centre=centre,
        seed=seed,
        started=started,
        areas=areas,
        r_group=r_group,
    )


def _forced_notes(
    current: IntArray | None,
    notes: list[str],
    c_group: NDArray[np.object_],
    r_group: NDArray[np.object_],
    locks: IntArray,
    conflicts: list[list[int]],
) -> list[str]:
    """Why a customer must leave (or has no) current rep, before any optimisation."""
    if current is None:
        return [""] * len(c_group)
    out = list(notes)
    for i, r in enumerate(current.tolist()):
        if r < 0:
            continue
        if r_group[r] != c_group[i]:
            out[i] = "dealer rule"
        elif locks[i] >= 0 and locks[i] != r:
            out[i] = "locked"
    for i, partners in enumerate(conflicts):  # free the unlocked one of a pair sharing a rep
        for k in partners:
            if k > i and current[i] >= 0 and current[i] == current[k] and not out[i] and not out[k]:
                free = i if locks[i] < 0 else k
                out[free] = "pair rule"
    return out


def _subproblem(
    group: Group,
    ordinal: int,
    *,
    xy: FloatArray,
    homes: FloatArray,
    values: FloatArray,
    tolerance: FloatArray,
    capacity: FloatArray,
    locks: IntArray,
    conflicts: list[list[int]],
    current: IntArray | None,
    area_edges: IntArray | None,
    max_edge_factor: float | None,
    centre: str,
    max_moves: int | None,
    max_moved_share: Mapping[str, float] | None,
    names: tuple[str, ...],
    n_total: int,
    seed: int,
    starts: int,
    max_starts: int,
    kicks: int,
    time_limit: float | None,
    region_size: int | None,
) -> tuple[Any, Subproblem, Any] | None:
    """The arrays of one group's subproblem, on local indices (None when it has no customers)."""
    idx, rp = group.customers, group.reps
    if len(idx) == 0 or len(rp) == 0:
        return None
    local = np.full(len(xy), -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    rep_local = {int(r): t for t, r in enumerate(rp.tolist())}
    pairs = None
    if area_edges is not None:
        inside = (local[area_edges[:, 0]] >= 0) & (local[area_edges[:, 1]] >= 0)
        pairs = local[area_edges[inside]]
    graph = neighbourhood_graph(xy[idx], pairs=pairs, max_edge_factor=max_edge_factor)
    weights = values[idx].copy()
    totals = weights.sum(axis=0)
    tol = tolerance.copy()
    share = capacity[rp] / capacity[rp].sum()
    targets = np.outer(share, np.where(totals > 0, totals, 1.0))
    tol[totals <= 0] = np.inf
    locked = np.array([rep_local.get(int(r), -1) if r >= 0 else -1 for r in locks[idx]])
    local_conflicts = tuple(
        tuple(int(local[k]) for k in conflicts[i] if local[k] >= 0) for i in idx.tolist()
    )
    cur = None
    moves = None
    moved_cap = None
    if current is not None:
        cur = np.array([rep_local.get(int(r), -1) if r >= 0 else -1 for r in current[idx]])
        if max_moves is not None:
            moves = math.floor(int(max_moves) * len(idx) / max(n_total, 1))
        if max_moved_share:
            moved_cap = np.full(len(names), np.inf)
            for j, name in enumerate(names):
                if name in max_moved_share:
                    moved_cap[j] = float(max_moved_share[name]) * totals[j]
    sub_seed = int(np.random.SeedSequence([seed, ordinal]).generate_state(1)[0])
    problem = Subproblem(
        name=group.name,
        xy=xy[idx],
        indptr=graph.indptr,
        indices=graph.indices,
        weights=weights,
        targets=targets,
        tolerance=tol,
        locked=locked.astype(np.int64),
        conflicts=local_conflicts,
        anchors=homes[rp],
        use_homes=centre == "home",
        current=None if cur is None else cur.astype(np.int64),
        max_moves=moves,
        max_moved=moved_cap,
        seed=sub_seed,
        starts=starts,
        max_starts=max_starts,
        kicks=kicks,
        time_limit=time_limit,
        region_size=region_size,
    )
    return group, problem, graph


def _reason_text(code: int, names: tuple[str, ...]) -> str:
    if code >= 0:
        return f"balance: {names[code]}"
    if code == REASON_COMPACTNESS:
        return "compactness"
    if code == REASON_NONE:
        return "rules"
    return "balance search"


def _assemble(
    cust: pd.DataFrame,
    rep: pd.DataFrame,
    groups: list[Group],
    jobs: list[tuple[Any, Subproblem, Any]],
    solutions: list[SubSolution],
    *,
    names: tuple[str, ...],
    tolerance: FloatArray,
    values: FloatArray,
    capacity: FloatArray,
    xy: FloatArray,
    homes: FloatArray,
    current: IntArray | None,
    forced: list[str],
    conflicts: list[list[int]],
    centre: str,
    seed: int,
    started: float,
    areas: Any,
    r_group: NDArray[np.object_],
) -> TerritoryPlan:
    """Put the subproblem solutions together into a :class:`TerritoryPlan`."""
    n, p = len(cust), len(rep)
    rep_of = np.full(n, -1, dtype=np.int64)
    reason_code = np.full(n, REASON_NONE, dtype=np.int64)
    components = np.zeros(p, dtype=np.int64)
    added = pruned = 0
    for (group, problem, graph), solution in zip(jobs, solutions, strict=True):
        idx, rp = group.customers, group.reps
        rep_of[idx] = rp[solution.labels]
        reason_code[idx] = np.asarray(solution.reasons, dtype=np.int64)
        components[rp] = components_per_territory(graph.edges(), solution.labels, len(rp))
        added += graph.added_edges
        pruned += graph.pruned_edges
        del problem
    assert (rep_of >= 0).all(), "every customer is assigned"
    rep_ids = rep["rep_id"].to_numpy(dtype=object)
    moved = np.zeros(n, dtype=bool)
    reasons = [""] * n
    if current is not None:
        moved = (current >= 0) & (rep_of != current)
        for i in range(n):
            if forced[i] and (moved[i] or current[i] < 0):
                reasons[i] = forced[i]
            elif moved[i]:
                reasons[i] = _reason_text(int(reason_code[i]), names)
    assignment = pd.DataFrame(
        {
            "customer_id": cust["customer_id"].to_numpy(dtype=object),
            "rep_id": rep_ids[rep_of],
            "moved": moved,
            "reason": reasons,
        }
    )
    # Per territory figures.
    load = np.zeros((p, len(names)))
    np.add.at(load, rep_of, values)
    table: dict[str, Any] = {
        "rep_id": rep_ids,
        "group": r_group,
        "capacity": capacity,
        "customers": np.bincount(rep_of, minlength=p),
    }
    out_rows = []
    for g in groups:
        if len(g.reps) == 0:
            continue
        totals = values[g.customers].sum(axis=0)
        share = capacity[g.reps] / capacity[g.reps].sum()
        for j, name in enumerate(names):
            target = share * totals[j]
            load_j = load[g.reps, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                dev = np.where(target > 0, load_j / target - 1.0, 0.0)
            table.setdefault(name, np.zeros(p))[g.reps] = load_j
            table.setdefault(f"{name}_target", np.zeros(p))[g.reps] = target
            table.setdefault(f"{name}_deviation", np.zeros(p))[g.reps] = dev
            for t in np.flatnonzero(np.abs(dev) > tolerance[j] + 1e-9).tolist():
                out_rows.append(
                    {
                        "rep_id": rep_ids[g.reps[t]],
                        "measure": name,
                        "total": float(load_j[t]),
                        "target": float(target[t]),
                        "deviation": float(dev[t]),
                        "tolerance": float(tolerance[j]),
                        "excess": float(abs(dev[t]) - tolerance[j]),
                    }
                )
    for name in names:  # reps of groups without customers
        for column in (name, f"{name}_target", f"{name}_deviation"):
            table.setdefault(column, np.zeros(p))
    centres = np.zeros((p, 2))
    if centre == "home":
        centres = homes
    else:
        count = np.bincount(rep_of, minlength=p).astype(float)
        for d in (0, 1):
            centres[:, d] = np.bincount(rep_of, weights=xy[:, d], minlength=p)
        centres = centres / np.maximum(count, 1.0)[:, None]
    table["dispersion_km"] = dispersion_km(xy, rep_of, centres, p)
    table["diameter_km"] = diameters_km(xy, rep_of, p)
    table["components"] = components
    table["contiguous"] = components <= 1
    territories = pd.DataFrame(table)
    out_of_tolerance = pd.DataFrame(
        out_rows,
        columns=["rep_id", "measure", "total", "target", "deviation", "tolerance", "excess"],
    )
    plan = TerritoryPlan(
        assignment=assignment,
        territories=territories,
        out_of_tolerance=out_of_tolerance,
        measures=names,
        tolerances={m: float(t) for m, t in zip(names, tolerance, strict=True)},
        centre=centre,
        seed=seed,
        seconds=time.perf_counter() - started,
        graph_edges_added=added,
        graph_edges_pruned=pruned,
        locations=pd.DataFrame(
            {
                "customer_id": assignment["customer_id"],
                "lon": cust["lon"].to_numpy(float),
                "lat": cust["lat"].to_numpy(float),
            }
        ),
        areas=areas,
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
