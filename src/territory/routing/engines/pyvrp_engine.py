"""The PyVRP engine (optional extra ``territory[pyvrp]``).

PyVRP's iterated local search is the stronger solver on time-windowed problems. The
package is imported only when an engine is created, so the core works without it.

Breaks: PyVRP has no break intervals, so a break is modelled as a group of optional
"break visits", one at each node's location (depot included), with the break length
as service time and the break window as time window; exactly one per vehicle is
taken (a second load dimension of capacity 1 keeps two breaks off one route). A break
visit at the next node's location is "drive, then break while waiting"; at the
previous node's location it is "break, then drive"; an unused vehicle takes its break
at home at no cost. Breaks in the middle of a drive are not modelled, which can make
PyVRP slightly more conservative than OR-Tools.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from territory.routing.engines.check import route_cost
from territory.routing.engines.problem import (
    TIME_SCALE,
    DayProblem,
    DaySolution,
    IntegerProblem,
    to_integers,
)

__all__ = ["PyVrpEngine"]

logger = logging.getLogger("territory")


class PyVrpEngine:
    """Solve a :class:`DayProblem` with PyVRP's iterated local search.

    Raises
    ------
    ImportError
        When PyVRP is not installed (``pip install 'territory[pyvrp]'``).

    Examples
    --------
    >>> import numpy as np
    >>> from territory.routing.engines.problem import DayProblem
    >>> t = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    >>> p = DayProblem(t, np.zeros(3), np.zeros(3), np.full(3, 100.0))
    >>> solution = PyVrpEngine().solve(p, time_limit=1.0, iterations=200)
    >>> solution.cost, sorted(solution.routes[0])
    (4.0, [1, 2])
    """

    name = "pyvrp"

    def __init__(self) -> None:
        if importlib.util.find_spec("pyvrp") is None:
            raise ImportError("the 'pyvrp' engine needs PyVRP: pip install 'territory[pyvrp]'")

    def solve(
        self,
        problem: DayProblem,
        *,
        time_limit: float,
        seed: int = 0,
        iterations: int | None = None,
    ) -> DaySolution:
        """Solve ``problem``.

        Parameters
        ----------
        problem
            The routing problem.
        time_limit
            Wall-clock cap in seconds.
        seed
            Seed of PyVRP's random number generator.
        iterations
            Deterministic work limit (PyVRP iterations); ``time_limit`` stays a cap.
            Without it, the search stops on time and its result depends on the load.

        Returns
        -------
        DaySolution
            The best solution found; ``feasible`` is ``False`` when PyVRP found none.
        """
        from pyvrp import solve as pyvrp_solve
        from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

        if problem.size == 0:
            return DaySolution(routes=[], break_starts=[])
        ticks = to_integers(problem)
        data = _problem_data(problem, ticks)
        stop: Any = MaxRuntime(max(time_limit, 0.01))
        if iterations is not None:
            stop = MultipleCriteria([MaxIterations(iterations), stop])
        result = pyvrp_solve(data, stop, seed=seed, collect_stats=False, display=False)
        if iterations is not None and result.num_iterations < iterations:
            logger.info(
                "pyvrp: time limit %.1f s hit after %d of %d iterations; the result "
                "is not reproducible",
                time_limit,
                result.num_iterations,
                iterations,
            )
        return _to_solution(problem, result.best)


def _problem_data(problem: DayProblem, ticks: IntegerProblem) -> Any:
    from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType

    n = problem.size
    with_breaks = ticks.breaks is not None
    use_load = ticks.demand is not None and ticks.capacity is not None
    locations = [Location(x=0.0, y=0.0) for _ in range(n + 1)]
    depot = Depot(0, tw_early=int(ticks.earliest[0]), tw_late=int(ticks.latest[0]))

    def load(value: int, is_break: bool) -> list[int]:
        dims = [value] if use_load else []
        return [*dims, int(is_break)] if with_breaks else dims

    clients = []
    for node in range(1, n + 1):
        optional = ticks.drop_penalty is not None
        clients.append(
            Client(
                location=node,
                delivery=load(int(ticks.demand[node]) if ticks.demand is not None else 0, False),
                service_duration=int(ticks.service[node]),
                tw_early=int(ticks.earliest[node]),
                tw_late=int(ticks.latest[node]),
                prize=int(ticks.drop_penalty[node]) if ticks.drop_penalty is not None else 0,
                required=not optional,
            )
        )
    groups: list[Any] = []
    if ticks.breaks is not None:
        start, end, minutes = ticks.breaks
        for _ in range(problem.vehicles):
            members = []
            for node in range(n + 1):
                members.append(len(clients))
                clients.append(
                    Client(
                        location=node,
                        delivery=load(0, True),
                        service_duration=minutes,
                        tw_early=start,
                        tw_late=end,
                        required=False,
                        group=len(groups),
                    )
                )
            groups.append(ClientGroup(members, required=True))
    capacity: list[int] = []
    if use_load:
        assert ticks.capacity is not None
        capacity.append(ticks.capacity)
    if with_breaks:
        capacity.append(1)
    options: dict[str, Any] = {
        "num_available": problem.vehicles,
        "capacity": capacity,
        "tw_early": int(ticks.earliest[0]),
        "tw_late": int(ticks.latest[0]),
    }
    if ticks.max_duration is not None:
        options["shift_duration"] = ticks.max_duration
    vehicle = VehicleType(**options)
    matrices: tuple[Any, Any] = (ticks.cost, ticks.travel)
    return ProblemData(
        locations=locations,
        clients=clients,
        depots=[depot],
        vehicle_types=[vehicle],
        distance_matrices=[matrices[0]],
        duration_matrices=[matrices[1]],
        groups=groups,
    )


def _to_solution(problem: DayProblem, best: Any) -> DaySolution:
    n = problem.size
    routes: list[list[int]] = []
    starts: list[list[float]] = []
    break_starts: list[float | None] = []
    for route in best.routes():
        nodes: list[int] = []
        times: list[float] = []
        break_start: float | None = None
        for activity in route.schedule():
            if not activity.is_client():
                continue
            if activity.idx < n:
                nodes.append(activity.idx + 1)
                times.append(activity.start_time / TIME_SCALE)
            else:
                break_start = activity.start_time / TIME_SCALE
        if nodes:
            routes.append(nodes)
            starts.append(times)
            break_starts.append(break_start)
    routed = {node for route in routes for node in route}
    dropped = sorted(set(range(1, n + 1)) - routed)
    feasible = bool(best.is_feasible()) and (problem.drop_penalty is not None or not dropped)
    return DaySolution(
        routes=routes,
        starts=starts,
        dropped=dropped,
        cost=float(sum(route_cost(problem, route) for route in routes)),
        feasible=feasible,
        break_starts=break_starts if problem.breaks is not None else [None] * len(routes),
    )
