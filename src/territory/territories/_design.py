"""``design_territories``: balanced, compact, contiguous territories for every rep."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError
from territory.progress import Progress, resolve_progress
from territory.tables import validate_customers, validate_reps
from territory.territories._assemble import assemble_plan
from territory.territories._context import DesignContext, GroupJob
from territory.territories._measures import measure_values, workload_by_territory
from territory.territories._options import SearchOptions, check_search_settings
from territory.territories._result import TerritoryPlan
from territory.territories._rules import (
    Group,
    capacities,
    conflict_lists,
    customer_groups,
    lock_targets,
    split_groups,
)
from territory.territories.graph import neighbourhood_graph, polygon_edges, project_km
from territory.territories.improve import balance_violation
from territory.territories.solve import Subproblem, SubSolution
from territory.territories.split import search_again, solve_subproblems
from territory.travel import GreatCircleTravel, TravelModel
from territory.workload import home_trip_minutes

__all__ = ["design_territories"]

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
    problems: ProblemCollector,
) -> None:
    """Check the objective and realignment settings (table ``options``)."""
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
    options: SearchOptions | None = None,
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
    starts, max_starts, kicks, time_limit, region_size
        The search settings as loose keywords, kept for compatibility; see
        :class:`SearchOptions`. Leave them at their defaults when ``options`` is given.
        Groups of more reps than ``region_size`` start from a recursive bisection,
        faster than growing hundreds of territories at once, and as compact.
    executor
        Runs the independent subproblems (company part, each dealer, each part of a
        cut group) in parallel; in-process when omitted.
    progress
        Called as ``progress(done, total)`` as each subproblem (or part of one) is
        designed; ``True`` shows a tqdm bar with the time left (see
        :mod:`territory.progress`).
    options
        The search settings in one :class:`SearchOptions` (constructions, kicks, time
        limit, region size); by default built from the loose keywords.

    Returns
    -------
    TerritoryPlan
        The best plan found. When a tolerance cannot be met, the plan says which
        measures are out of tolerance by how much and a warning is logged.

    Raises
    ------
    ValidationError
        For bad input: unknown or disallowed reps in locks, a dealer whose stores have
        no rep, missing or negative measure values, bad tolerances or options (also
        for search settings given both in ``options`` and as keywords).

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
    _check_options(centre, max_moves, max_moved_share, balance, problems)
    loose = {
        "starts": starts,
        "max_starts": max_starts,
        "kicks": kicks,
        "time_limit": time_limit,
        "region_size": region_size,
    }
    search = _search_options(options, loose, problems)
    travel = travel or GreatCircleTravel()
    names, values, tolerance = measure_values(
        cust, balance, travel=travel, problems=problems, reps=rep
    )
    capacity = capacities(rep, problems)
    locks, rules = lock_targets(cust, rep, problems)
    conflicts = conflict_lists(cust, pairs, locks, problems)
    groups = split_groups(cust, rep, rules, problems)
    current, notes = _current_positions(cust, rep, current_column)
    problems.raise_if_any()
    assert search is not None

    origin = (float(cust["lon"].mean()), float(cust["lat"].mean())) if len(cust) else (0.0, 0.0)
    c_group = np.array(customer_groups(rules), dtype=object)
    r_group = np.array(
        [
            "company" if k != "dealer" else str(d)
            for k, d in zip(rep["kind"], rep["dealer_id"], strict=True)
        ],
        dtype=object,
    )
    ctx = DesignContext(
        customers=cust,
        reps=rep,
        names=names,
        values=values,
        tolerance=tolerance,
        capacity=capacity,
        xy=project_km(cust["lon"].to_numpy(float), cust["lat"].to_numpy(float), origin=origin),
        homes=project_km(
            rep["home_lon"].to_numpy(float), rep["home_lat"].to_numpy(float), origin=origin
        ),
        locks=locks,
        conflicts=conflicts,
        current=current,
        forced=_forced_notes(current, notes, c_group, r_group, locks, conflicts),
        rep_groups=r_group,
        area_edges=polygon_edges(areas) if areas is not None else None,
        areas=areas,
        centre=centre,
        max_moves=max_moves,
        max_moved_share=max_moved_share,
        max_edge_factor=max_edge_factor,
        seed=seed,
        search=search,
        started=started,
    )
    free_current = ctx.free_current
    built = [_subproblem(ctx, g, k, free_current) for k, g in enumerate(groups)]
    jobs = [job for job in built if job is not None]
    solutions = solve_subproblems([job.problem for job in jobs], executor, progress=report)
    ctx, jobs, solutions = _rebalance_with_own_reps(ctx, jobs, solutions, travel)
    return assemble_plan(ctx, groups, jobs, solutions)


#: Rounds of re-estimating the workload with the territories' own reps and searching again.
OWN_REP_ROUNDS = 8
#: Share of a group's customers that may change territory in one of those rounds ...
OWN_REP_STEP = 0.025
#: ... but at least this many.
OWN_REP_MIN_STEP = 10
#: Share of the tolerance those rounds aim within, as the prices are a little off.
OWN_REP_AIM = 0.8


def _rebalance_with_own_reps(
    ctx: DesignContext, jobs: list[GroupJob], solutions: list[SubSolution], travel: TravelModel
) -> tuple[DesignContext, list[GroupJob], list[SubSolution]]:
    """Balance the estimated workload again as each territory's own rep would work it.

    With ``centre="home"`` every territory is drawn around its rep's home. The design
    prices a customer's trips from the nearest home and to the nearest customer of any
    rep, since its rep is not known yet; once drawn, a territory whose customers live
    nearer other reps' homes, or between other reps' customers, needs more work than
    that. Each group is then searched again on the workload each customer would cost
    the rep that takes it (:func:`workload_by_territory`: a move is priced with the
    minutes of the receiving rep). The neighbour trips follow the territories, so the
    values are re-estimated and searched again up to :data:`OWN_REP_ROUNDS` times,
    keeping the territories whose violation on their own re-estimate is smallest.
    """
    if ctx.centre != "home":  # territories are not drawn around their reps' homes
        return ctx, jobs, solutions
    if "workload" not in ctx.names or "workload" in ctx.customers.columns:
        return ctx, jobs, solutions  # no estimated workload to price per rep
    values = ctx.values.copy()
    out_jobs: list[GroupJob] = []
    out_solutions: list[SubSolution] = []
    for job, solution in zip(jobs, solutions, strict=True):
        customers = ctx.customers.iloc[job.group.customers]
        reps = ctx.reps.iloc[job.group.reps]
        base = ctx.values[job.group.customers]
        best: tuple[float, Subproblem, SubSolution] | None = None
        home = home_trip_minutes(customers, reps, travel=travel)
        for round_ in range(OWN_REP_ROUNDS + 1):
            by_territory = workload_by_territory(
                customers, ctx.names, base, solution.labels, reps, travel, home
            )
            if by_territory is None:
                break
            weights = by_territory[np.arange(len(solution.labels)), solution.labels]
            problem = replace(
                job.problem,
                weights=weights,
                targets=_targets(ctx, job.group.reps, weights),
                territory_weights=by_territory,
            )
            violation = _violation(problem, solution.labels)
            if best is None or violation < best[0] - 1e-12:
                best = (violation, problem, solution)
            if violation <= 1e-9 or round_ == OWN_REP_ROUNDS:
                break
            again = search_again(_small_step(problem, solution.labels), solution)
            solution = replace(again, starts=solution.starts)
        if best is None:  # the workload is not estimated here
            out_jobs.append(job)
            out_solutions.append(solution)
            continue
        _, problem, solution = best
        values[job.group.customers] = problem.weights
        out_jobs.append(replace(job, problem=replace(problem, territory_weights=None)))
        out_solutions.append(replace(solution, violation=best[0]))
    return replace(ctx, values=values), out_jobs, out_solutions


def _small_step(problem: Subproblem, labels: IntArray) -> Subproblem:
    """``problem`` with at most :data:`OWN_REP_STEP` of its customers free to move.

    The neighbour trips are priced at the territories as they were: a large batch of
    customers moving into a territory become each other's neighbours and cost less
    than priced. Small steps keep the prices near the truth. A realignment keeps its
    own budget instead.
    """
    if problem.current is not None:
        return problem
    step = max(OWN_REP_MIN_STEP, math.ceil(OWN_REP_STEP * len(labels)))
    return replace(
        problem, current=labels, max_moves=step, tolerance=OWN_REP_AIM * problem.tolerance
    )


def _targets(ctx: DesignContext, reps: IntArray, weights: FloatArray) -> FloatArray:
    """Each territory's target of every measure: the group's total by rep capacity."""
    totals = weights.sum(axis=0)
    share = ctx.capacity[reps] / ctx.capacity[reps].sum()
    return np.outer(share, np.where(totals > 0, totals, 1.0))


def _violation(problem: Subproblem, labels: IntArray) -> float:
    """Summed relative excess of every territory's loads over the tolerances."""
    return balance_violation(labels, problem.weights, problem.targets, problem.tolerance)


def _search_options(
    options: object, loose: dict[str, Any], problems: ProblemCollector
) -> SearchOptions | None:
    """The search settings: ``options``, else the loose keywords (checked into ``problems``).

    ``None`` when a problem has been recorded (the caller raises them all).
    """
    if options is not None:
        if not isinstance(options, SearchOptions):
            problems.add("options", None, f"expected a SearchOptions, got {type(options).__name__}")
            return None
        defaults = SearchOptions()
        given = [name for name, value in loose.items() if value != getattr(defaults, name)]
        if given:
            problems.add(
                "options",
                None,
                "give the search settings in options= or as keywords, not both "
                f"({', '.join(given)})",
            )
        return options
    check_search_settings(
        starts=loose["starts"],
        max_starts=loose["max_starts"],
        time_limit=loose["time_limit"],
        region_size=loose["region_size"],
        problems=problems,
    )
    return None if problems else SearchOptions(**loose)


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
    ctx: DesignContext, group: Group, ordinal: int, current: IntArray | None
) -> GroupJob | None:
    """One group's subproblem, on local indices (``None`` when it has no customers).

    ``current`` is every customer's current rep where the rules let it stay, else -1.
    """
    idx, rp = group.customers, group.reps
    if len(idx) == 0 or len(rp) == 0:
        return None
    local = np.full(len(ctx.xy), -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    rep_local = {int(r): t for t, r in enumerate(rp.tolist())}
    pairs = None
    if ctx.area_edges is not None:
        inside = (local[ctx.area_edges[:, 0]] >= 0) & (local[ctx.area_edges[:, 1]] >= 0)
        pairs = local[ctx.area_edges[inside]]
    graph = neighbourhood_graph(ctx.xy[idx], pairs=pairs, max_edge_factor=ctx.max_edge_factor)
    weights = ctx.values[idx].copy()
    totals = weights.sum(axis=0)
    tol = ctx.tolerance.copy()
    targets = _targets(ctx, rp, weights)
    tol[totals <= 0] = np.inf
    locked = np.array([rep_local.get(int(r), -1) if r >= 0 else -1 for r in ctx.locks[idx]])
    local_conflicts = tuple(
        tuple(int(local[k]) for k in ctx.conflicts[i] if local[k] >= 0) for i in idx.tolist()
    )
    cur = None
    if current is not None:
        cur = np.array([rep_local.get(int(r), -1) if r >= 0 else -1 for r in current[idx]])
    moves, moved_cap = _move_budget(ctx, len(idx), totals)
    search = ctx.search
    problem = Subproblem(
        name=group.name,
        xy=ctx.xy[idx],
        indptr=graph.indptr,
        indices=graph.indices,
        weights=weights,
        targets=targets,
        tolerance=tol,
        locked=locked.astype(np.int64),
        conflicts=local_conflicts,
        anchors=ctx.homes[rp],
        use_homes=ctx.centre == "home",
        current=None if cur is None else cur.astype(np.int64),
        max_moves=moves,
        max_moved=moved_cap,
        seed=int(np.random.SeedSequence([ctx.seed, ordinal]).generate_state(1)[0]),
        starts=search.starts,
        max_starts=search.max_starts,
        kicks=search.kicks,
        time_limit=search.time_limit,
        region_size=search.region_size,
    )
    return GroupJob(group=group, problem=problem, graph=graph)


def _move_budget(
    ctx: DesignContext, n_customers: int, totals: FloatArray
) -> tuple[int | None, FloatArray | None]:
    """A group's realignment budget: its share of ``max_moves``, and per measure the cap."""
    if ctx.current is None:
        return None, None
    moves = None
    moved_cap = None
    if ctx.max_moves is not None:
        moves = math.floor(int(ctx.max_moves) * n_customers / max(len(ctx.customers), 1))
    if ctx.max_moved_share:
        moved_cap = np.full(len(ctx.names), np.inf)
        for j, name in enumerate(ctx.names):
            if name in ctx.max_moved_share:
                moved_cap[j] = float(ctx.max_moved_share[name]) * totals[j]
    return moves, moved_cap
