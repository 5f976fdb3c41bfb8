"""The HTTP service: the planning stages for backends in any language.

Needs the optional extra: ``pip install 'territory[service]'`` (FastAPI, uvicorn,
httpx). :func:`create_app` builds the app, :func:`serve` runs it with uvicorn on the
loopback interface by default, and ``python -m territory.service`` does the same from
the command line. Limits come from ``TERRITORY_*`` environment variables
(:class:`ServiceConfig`).

Endpoints (each stage only when this installation has it; ``GET /v1/health`` lists them):

* ``GET /v1/health`` -- status, version, stages, limits (no API key needed);
* ``POST /v1/plan-routes``, ``/v1/grade``, ``/v1/territories``, ``/v1/allocate`` --
  run a stage and answer with its result;
* ``POST /v1/jobs/<stage>`` -- the same as a job (202 and a job id);
  ``GET /v1/jobs/{id}`` -- state, progress and result; ``DELETE /v1/jobs/{id}`` -- cancel.

A queued job that is cancelled never starts; a running one is marked cancelled at once
and its result discarded, but a solver that cannot be interrupted finishes its current
piece of work (for route planning: the rep it is solving) before its thread is free.
"""

from __future__ import annotations

from territory.service._app import create_app
from territory.service._config import ENVIRONMENT_VARIABLES, ServiceConfig
from territory.service._serve import serve

__all__ = ["ENVIRONMENT_VARIABLES", "ServiceConfig", "create_app", "serve"]
