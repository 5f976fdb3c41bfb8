"""The stages the service can serve, and which of them this installation has.

Each stage lives in its own small module (``_stage_<name>.py``) with a ``load()``
function that returns a :class:`Stage`, or raises ``ImportError`` when the library
part it serves is not installed. The app serves the stages that load.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from territory.service.config import ServiceConfig
from territory.service.models import StageRequest

__all__ = ["STAGE_MODULES", "RunContext", "Stage", "load_stages"]

logger = logging.getLogger("territory")

#: Stage name (URL segment) -> (module serving it, library function it needs).
STAGE_MODULES: dict[str, tuple[str, str]] = {
    "plan-routes": ("territory.service._stage_routes", "territory.routing.plan_routes"),
    "grade": ("territory.service._stage_grade", "territory.grading"),
    "territories": (
        "territory.service._stage_territories",
        "territory.territories.design_territories",
    ),
    "allocate": ("territory.service._stage_allocate", "territory.allocation.allocate"),
    "allocate-plan": (
        "territory.service._stage_allocate_plan",
        "territory.allocation.allocate_plan",
    ),
}

#: ``progress(done, total, message)``; raises to stop the work when a job is cancelled.
Progress = Callable[[float, float | None, str | None], None]


@dataclass(frozen=True)
class RunContext:
    """What a stage's run function gets besides its request.

    Attributes
    ----------
    config
        The service configuration.
    time_limit
        The solver time limit in seconds (the request's, or the configured default).
    progress
        Progress reporter for jobs (``None`` for synchronous calls).
    """

    config: ServiceConfig
    time_limit: float
    progress: Progress | None = None


@dataclass(frozen=True)
class Stage:
    """One served stage.

    Attributes
    ----------
    name
        URL segment, for example ``"plan-routes"``.
    summary
        One line for the OpenAPI document.
    description
        A few lines for the OpenAPI document.
    request_model
        The pydantic model of the request body.
    run
        ``run(request, context) -> dict``: the stage's JSON-safe result.
    result_model
        The pydantic model of that result (for the OpenAPI document).
    """

    name: str
    summary: str
    description: str
    request_model: type[StageRequest]
    run: Callable[[Any, RunContext], dict[str, Any]]
    result_model: type[BaseModel]


def load_stages() -> tuple[dict[str, Stage], dict[str, str]]:
    """Load every stage this installation can serve.

    Returns
    -------
    tuple of dict
        Stages by name, and the reason each missing stage is not served.
    """
    stages: dict[str, Stage] = {}
    missing: dict[str, str] = {}
    for name, (module_name, needs) in STAGE_MODULES.items():
        try:
            module = importlib.import_module(module_name)
            stages[name] = module.load()
        except ImportError as error:
            logger.info("service: stage %s is not served: %s", name, error)
            missing[name] = f"needs {needs}, which this installation does not provide"
    return stages, missing
