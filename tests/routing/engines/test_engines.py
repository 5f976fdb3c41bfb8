"""Tests of the routing engines (OR-Tools, PyVRP), the checker and the Solomon reader."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from territory.errors import ValidationError
from territory.routing.engines import (
    DayProblem,
    DaySolution,
    check_solution,
    get_engine,
    read_solomon,
    read_solomon_bks,
    route_cost,
    to_integers,
)
from territory_cases import line_problem

SOLOMON = Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "solomon"
HAS_PYVRP = importlib.util.find_spec("pyvrp") is not None

ENGINES = [
    "ortools",
    pytest.param("pyvrp", marks=pytest.mark.skipif(not HAS_PYVRP, reason="pyvrp missing")),
]
FAST = {"time_limit": 5.0, "iterations": 20}


def random_problem(n: int, seed: int, vehicles: int = 4) -> DayProblem:
    """A random instance with windows and capacity (Solomon-like, smaller)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, size=(n + 1, 2))
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    earliest = np.concatenate([[0.0], rng.uniform(0, 150, n)])
    return DayProblem(
        travel=dist,
        service=np.concatenate([[0.0], np.full(n, 5.0)]),
        earliest=earliest,
        latest=np.concatenate([[400.0], earliest[1:] + 60.0]),
        vehicles=vehicles,
        demand=np.concatenate([[0.0], rng.integers(1, 10, n).astype(float)]),
        capacity=60.0,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_three_on_a_line_best_order(engine: str) -> None:
    """One vehicle, visits at 1, 2, 3: every order that never backtracks twice costs 6."""
    problem = line_problem([1.0, 2.0, 3.0])
    solution = get_engine(engine).solve(problem, **FAST)
    # 1-2-3 and 3-2-1 (6), 2-3-1 and 1-3-2 (6); 2-1-3 and 3-1-2 cost 8.
    assert solution.routes in ([[1, 2, 3]], [[3, 2, 1]], [[2, 3, 1]], [[1, 3, 2]])
    assert solution.cost == pytest.approx(6.0)
    assert solution.feasible
    assert check_solution(problem, solution) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_time_windows_force_non_nearest_order(engine: str) -> None:
    """Visit 2 closes at 2.5 and visit 1 opens at 5: the order is 2, 3, 1 at cost 6."""
    problem = line_problem(
        [1.0, 2.0, 3.0],
        earliest=np.array([0.0, 5.0, 0.0, 0.0]),
        latest=np.array([100.0, 100.0, 2.5, 100.0]),
    )
    solution = get_engine(engine).solve(problem, **FAST)
    assert solution.routes == [[2, 3, 1]]
    assert solution.cost == pytest.approx(6.0)
    assert check_solution(problem, solution) == []
    assert 2.0 - 1e-6 <= solution.starts[0][0] <= 2.5 + 1e-6


@pytest.mark.parametrize("engine", ENGINES)
def test_capacity_short_drops_lowest_penalty(engine: str) -> None:
    """Room for two of three visits: the one with the lowest penalty is dropped."""
    problem = line_problem(
        [1.0, 2.0, 3.0],
        demand=np.array([0.0, 1.0, 1.0, 1.0]),
        capacity=2.0,
        drop_penalty=np.array([0.0, 100.0, 50.0, 100.0]),
    )
    solution = get_engine(engine).solve(problem, **FAST)
    assert solution.dropped == [2]
    assert sorted(solution.routes[0]) == [1, 3]
    assert solution.feasible
    assert check_solution(problem, solution) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_time_short_drops_lowest_penalty(engine: str) -> None:
    """A 27-minute shift holds two 10-minute visits, not three: drop the cheapest."""
    problem = line_problem(
        [1.0, 2.0, 3.0],
        service=np.array([0.0, 10.0, 10.0, 10.0]),
        latest=np.array([27.0, 100.0, 100.0, 100.0]),
        drop_penalty=np.array([0.0, 80.0, 100.0, 40.0]),
    )
    solution = get_engine(engine).solve(problem, **FAST)
    assert solution.dropped == [3]
    assert check_solution(problem, solution) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_break_is_respected(engine: str) -> None:
    """A 30-minute break starting 100..130 pushes visit 2 (open from 90) to 130."""
    problem = line_problem(
        [1.0, 2.0],
        service=np.array([0.0, 60.0, 60.0]),
        earliest=np.array([0.0, 0.0, 90.0]),
        latest=np.array([250.0, 10.0, 200.0]),
        breaks=(100.0, 130.0, 30.0),
    )
    solution = get_engine(engine).solve(problem, **FAST)
    assert solution.routes == [[1, 2]]
    assert check_solution(problem, solution) == []
    (break_start,) = solution.break_starts
    assert break_start is not None
    assert 100.0 - 1e-6 <= break_start <= 130.0 + 1e-6
    assert solution.starts[0][1] >= break_start + 30.0 - 1e-6


@pytest.mark.parametrize("engine", ENGINES)
def test_capacity_splits_routes(engine: str) -> None:
    """Three unit demands and capacity 2 need two vehicles."""
    problem = line_problem(
        [1.0, 2.0, -1.0],
        vehicles=3,
        demand=np.array([0.0, 1.0, 1.0, 1.0]),
        capacity=2.0,
    )
    solution = get_engine(engine).solve(problem, **FAST)
    assert len(solution.routes) == 2
    assert solution.cost == pytest.approx(6.0)
    assert check_solution(problem, solution) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_max_duration_splits_routes(engine: str) -> None:
    """Visits at 2 and -2 cannot share a route of at most 5 minutes."""
    problem = line_problem([2.0, -2.0], vehicles=2, max_duration=5.0)
    solution = get_engine(engine).solve(problem, **FAST)
    assert sorted(solution.routes) == [[1], [2]]
    assert check_solution(problem, solution) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_and_work_limit_same_solution(engine: str) -> None:
    """With a work limit, two runs with the same seed agree exactly."""
    problem = random_problem(30, seed=3)
    first = get_engine(engine).solve(problem, time_limit=30.0, seed=7, iterations=20)
    second = get_engine(engine).solve(problem, time_limit=30.0, seed=7, iterations=20)
    assert first.routes == second.routes
    assert first.cost == second.cost
    assert check_solution(problem, first) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_problem(engine: str) -> None:
    """No visits: no routes, feasible."""
    problem = line_problem([])
    solution = get_engine(engine).solve(problem, **FAST)
    assert solution.routes == []
    assert solution.feasible


@pytest.mark.parametrize("engine", ENGINES)
def test_impossible_mandatory_visit_marked_infeasible(engine: str) -> None:
    """A visit that cannot be reached in its window makes the answer infeasible."""
    problem = line_problem([1.0, 50.0], latest=np.array([1000.0, 100.0, 10.0]))
    solution = get_engine(engine).solve(problem, **FAST)
    assert not solution.feasible
    assert check_solution(problem, solution) != []


def test_unknown_engine() -> None:
    """An unknown engine name is a ValidationError listing the choices."""
    with pytest.raises(ValidationError, match="ortools, pyvrp"):
        get_engine("gurobi")


def test_day_problem_validation_lists_every_problem() -> None:
    """Bad shapes, negative service and empty windows are reported together."""
    with pytest.raises(ValidationError) as info:
        DayProblem(
            travel=np.zeros((3, 2)),
            service=np.array([0.0, -1.0, 1.0]),
            earliest=np.array([0.0, 5.0, 0.0]),
            latest=np.array([10.0, 4.0, 10.0]),
            vehicles=0,
        )
    text = str(info.value)
    assert "travel" in text and "service" in text and "latest" in text and "vehicles" in text


def test_integer_scaling_rounds_travel_up_and_windows_in() -> None:
    """Scaled travel is never shorter than the real one; windows shrink."""
    problem = random_problem(20, seed=1)
    ticks = to_integers(problem)
    assert np.all(ticks.travel >= problem.travel * 1000 - 1e-9)
    assert np.all(ticks.earliest >= problem.earliest * 1000 - 1e-6)
    assert np.all(ticks.latest <= problem.latest * 1000 + 1e-6)


# --- checker -------------------------------------------------------------------------


def test_checker_accepts_a_good_solution() -> None:
    """The hand-solved line instance passes."""
    problem = line_problem([1.0, 2.0, 3.0])
    assert check_solution(problem, DaySolution(routes=[[1, 2, 3]], cost=6.0)) == []


def test_checker_reports_missing_duplicate_and_foreign_visits() -> None:
    """Visit 3 missing, visit 1 twice and node 9 unknown are all reported."""
    problem = line_problem([1.0, 2.0, 3.0], vehicles=2)
    found = check_solution(problem, DaySolution(routes=[[1, 2], [1, 9]], cost=0.0))
    text = "\n".join(found)
    assert "node 1 is also visited by route 0" in text
    assert "node 9 is not a visit" in text
    assert "visits not routed: [3]" in text


def test_checker_reports_late_arrival() -> None:
    """Going to 3 first makes visit 1 (closing at 2) late."""
    problem = line_problem([1.0, 3.0], latest=np.array([100.0, 2.0, 100.0]))
    found = check_solution(problem, DaySolution(routes=[[2, 1]], cost=6.0))
    assert found == ["route 0: node 1 starts at 5.000, after its latest 2.000"]


def test_checker_uses_unrounded_times() -> None:
    """An arrival 0.002 minutes late is caught at tolerance 0.001."""
    problem = line_problem([1.002], latest=np.array([100.0, 1.0]))
    assert len(check_solution(problem, DaySolution(routes=[[1]], cost=2.004))) == 1
    assert check_solution(problem, DaySolution(routes=[[1]], cost=2.004), tol=0.01) == []


def test_checker_reports_capacity_vehicles_and_cost() -> None:
    """Overload, too many routes and a wrong reported cost are reported."""
    problem = line_problem([1.0, 2.0], demand=np.array([0.0, 2.0, 2.0]), capacity=3.0, vehicles=1)
    found = check_solution(problem, DaySolution(routes=[[1, 2]], cost=4.0))
    assert found == ["route 0: load 4 exceeds capacity 3"]
    found = check_solution(problem, DaySolution(routes=[[1], [2]], cost=1.0))
    text = "\n".join(found)
    assert "2 routes for 1 vehicles" in text
    assert "reported cost 1.000 differs from the routes' cost 6.000" in text


def test_checker_duration_leaves_home_late() -> None:
    """Waiting at home is not route time: visit open from 50 at distance 1 lasts 2."""
    problem = line_problem(
        [1.0], earliest=np.array([0.0, 50.0]), latest=np.array([100.0, 60.0]), max_duration=2.0
    )
    assert check_solution(problem, DaySolution(routes=[[1]], cost=2.0)) == []
    tight = line_problem([1.0, 2.0], max_duration=3.0)
    found = check_solution(tight, DaySolution(routes=[[1, 2]], cost=4.0))
    assert found == ["route 0: shortest duration 4.000 exceeds max_duration 3.0"]


def test_checker_reports_no_room_for_break() -> None:
    """Back-to-back services around the break window leave no room for it."""
    problem = line_problem(
        [1.0, 2.0],
        service=np.array([0.0, 60.0, 60.0]),
        earliest=np.array([0.0, 0.0, 90.0]),
        latest=np.array([250.0, 10.0, 95.0]),
        breaks=(100.0, 130.0, 30.0),
    )
    found = check_solution(problem, DaySolution(routes=[[1, 2]], cost=4.0))
    assert len(found) == 1 and "no room for the break" in found[0]


def test_checker_accepts_break_after_return() -> None:
    """A route over before the break window needs no break inside it."""
    problem = line_problem([1.0], service=np.array([0.0, 10.0]), breaks=(100.0, 130.0, 30.0))
    assert check_solution(problem, DaySolution(routes=[[1]], cost=2.0)) == []


def test_checker_reports_inconsistent_reported_starts() -> None:
    """A reported start that is too early to get there is flagged."""
    problem = line_problem([5.0])
    found = check_solution(problem, DaySolution(routes=[[1]], starts=[[1.0]], cost=10.0))
    assert found == ["route 0: reported start 1.000 of node 1 is too early to get there"]


def test_route_cost_of_empty_route() -> None:
    """An empty route costs nothing."""
    assert route_cost(line_problem([1.0]), []) == 0.0


# --- Solomon -------------------------------------------------------------------------

needs_solomon = pytest.mark.skipif(not SOLOMON.is_dir(), reason="../shared/benchmarks absent")


@needs_solomon
def test_read_solomon_instance() -> None:
    """C101 has 100 customers, 25 vehicles of capacity 200, and a BKS of 828.94."""
    instance = read_solomon(SOLOMON / "C101.txt")
    assert (instance.vehicles, instance.capacity, len(instance.ids)) == (25, 200.0, 101)
    assert instance.ids[0] == 0
    assert read_solomon_bks(SOLOMON / "bks.csv")["C101"] == pytest.approx(828.94)


def test_read_solomon_rejects_other_files(tmp_path: Path) -> None:
    """A file that is not a Solomon instance is a ValidationError."""
    path = tmp_path / "x.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(ValidationError, match="not a Solomon instance"):
        read_solomon(path)


@pytest.mark.slow
@needs_solomon
@pytest.mark.parametrize(("engine", "max_gap"), [("ortools", 8.0), *[("pyvrp", 2.0)] * HAS_PYVRP])
@pytest.mark.parametrize("name", ["C101", "R101"])
def test_solomon_instances_close_to_bks(engine: str, max_gap: float, name: str) -> None:
    """Feasible on unrounded data and within a few percent of the best known distance."""
    problem = read_solomon(SOLOMON / f"{name}.txt").to_day_problem()
    bks = read_solomon_bks(SOLOMON / "bks.csv")[name]
    solution = get_engine(engine).solve(problem, time_limit=10.0, seed=0)
    assert check_solution(problem, solution) == []
    assert solution.cost <= bks * (1 + max_gap / 100)


# --- OR-Tools engine internals -------------------------------------------------------


def test_ortools_sub_ticks_keeps_the_chosen_nodes() -> None:
    """A sub-problem holds the depot and the chosen visits, in the given order."""
    from territory.routing.engines.ortools.model import sub_ticks

    ticks = to_integers(random_problem(10, seed=2))
    sub = sub_ticks(ticks, [7, 3])
    assert sub.travel.shape == (3, 3)
    assert int(sub.travel[1, 2]) == int(ticks.travel[7, 3])
    assert int(sub.latest[2]) == int(ticks.latest[3])
    assert sub.demand is not None and ticks.demand is not None
    assert int(sub.demand[1]) == int(ticks.demand[7])
    assert sub.capacity == ticks.capacity


def test_ortools_objective_matches_the_solver() -> None:
    """The objective computed from routes equals OR-Tools' objective of a soft model."""
    from territory.routing.engines.ortools.model import Model, objective, parameters, penalties

    problem = random_problem(25, seed=4)
    ticks = to_integers(problem)
    model = Model(problem, ticks, 0, problem.vehicles, soft=True)
    assignment = model.routing.SolveWithParameters(parameters(None, 2.0))
    routes = model.node_routes(assignment)
    assert objective(ticks, routes, penalties(ticks)) == assignment.ObjectiveValue()
    # Leaving a mandatory visit out costs more than all routes together.
    shorter = [routes[0][1:], *routes[1:]]
    assert objective(ticks, shorter, penalties(ticks)) > 2 * assignment.ObjectiveValue()


def test_ortools_decomposed_rounds_are_reproducible_and_feasible() -> None:
    """From 40 visits on, rounds repair a few routes at a time; a work limit fixes them."""
    from territory.routing.engines.ortools.search import DECOMPOSE_FROM

    problem = random_problem(DECOMPOSE_FROM + 20, seed=6, vehicles=12)
    engine = get_engine("ortools")
    first = engine.solve(problem, time_limit=60.0, seed=3, iterations=40)
    second = engine.solve(problem, time_limit=60.0, seed=3, iterations=40)
    assert first.routes == second.routes
    assert first.feasible
    assert check_solution(problem, first) == []
    few = engine.solve(problem, time_limit=60.0, seed=3, iterations=1)
    assert first.cost <= few.cost + 1e-9


def test_ortools_decomposed_rounds_keep_optional_visits_optional() -> None:
    """With drop penalties, visits may stay out, and the answer is still feasible."""
    base = random_problem(50, seed=8, vehicles=2)
    penalty = np.concatenate([[0.0], np.full(base.size, 30.0)])
    problem = DayProblem(
        travel=base.travel,
        service=base.service,
        earliest=base.earliest,
        latest=base.latest,
        vehicles=2,
        demand=base.demand,
        capacity=base.capacity,
        drop_penalty=penalty,
    )
    solution = get_engine("ortools").solve(problem, time_limit=30.0, seed=1, iterations=15)
    assert solution.feasible
    assert solution.dropped
    assert check_solution(problem, solution) == []
