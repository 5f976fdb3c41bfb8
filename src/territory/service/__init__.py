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
* ``POST /v1/jobs/<stage>`` -- the same as a job (202 and the job);
  ``GET /v1/jobs`` -- the caller's jobs, newest first; ``GET /v1/jobs/{id}`` -- state,
  progress and result; ``DELETE /v1/jobs/{id}`` -- cancel;
* ``GET /problems/{code}`` -- what an error's ``type`` means.

Every answer has a response model in the OpenAPI document (``docs/openapi.json``, written
by :mod:`territory.service.openapi`), and every error is RFC 9457 problem details
(``application/problem+json``) with one ``errors`` entry per validation problem.

A queued job that is cancelled never starts; a running one is marked cancelled at once
and its result discarded, but a solver that cannot be interrupted finishes its current
piece of work (for route planning: the rep it is solving) before its thread is free.

What survives a restart. Every app (:func:`create_app`, :func:`serve`,
``python -m territory.service``) keeps every job -- id, stage, state, progress,
timestamps, error and result -- in one SQLite file, ``TERRITORY_JOB_STORE`` (default
``territory-jobs.sqlite3`` in the working directory; WAL mode, standard library only).
Several uvicorn workers (``--workers N``) or servers on one machine may share the file:
a job id answers from any of them.

* On SIGTERM the server stops accepting requests, gives running jobs
  ``TERRITORY_SHUTDOWN_GRACE`` seconds (default 20) to finish, and marks queued jobs and
  jobs still running then as ``interrupted``, with one warning per job on the
  ``territory`` logger. After a restart they answer ``interrupted`` (with an ``error``
  saying why); they are not resumed -- submit them again.
* A process that dies without shutting down (``kill -9``) stops its heartbeat; its
  jobs are marked ``interrupted`` about 30 seconds later by any process on the file.
* Finished jobs keep their result for ``TERRITORY_JOB_TTL`` seconds, while the stored
  results stay under ``TERRITORY_MAX_RESULT_BYTES`` (default 200 MB of JSON) and the jobs
  under ``TERRITORY_MAX_JOB_TABLE``; beyond that the oldest finished jobs expire first.
  An expired job answers ``410 Gone`` with a problem saying why and holding the job
  (id, stage, timestamps), for a week; only then, or for ids that never existed,
  ``GET /v1/jobs/{id}`` says 404. A result larger than ``TERRITORY_MAX_RESULT_BYTES`` on
  its own fails its job.

``TERRITORY_JOB_STORE=:memory:`` (or ``ServiceConfig(job_store=":memory:")``, as tests
and notebooks do) keeps the jobs in memory, private to the app.

The parts are public modules: :mod:`~territory.service.config` (limits from the
environment), :mod:`~territory.service.models` and :mod:`~territory.service.results`
(request and response models), :mod:`~territory.service.problems` (RFC 9457 problem
details), :mod:`~territory.service.jobs` (the job pool) and
:mod:`~territory.service.store` (the SQLite job store).
"""

from __future__ import annotations

from territory.service._app import create_app
from territory.service._serve import serve
from territory.service.config import ENVIRONMENT_VARIABLES, ServiceConfig

__all__ = ["ENVIRONMENT_VARIABLES", "ServiceConfig", "create_app", "serve"]
