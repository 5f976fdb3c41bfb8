"""Tests of the service configuration read from TERRITORY_* environment variables."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from territory.errors import ValidationError
from territory.service import ENVIRONMENT_VARIABLES, ServiceConfig
from territory.service.config import check_bind
from territory.service.testing import InProcessClient


def test_every_field_has_a_variable() -> None:
    """Each config field is settable through one TERRITORY_ environment variable."""
    names = {f.name for f in dataclasses.fields(ServiceConfig)}
    assert names == set(ENVIRONMENT_VARIABLES)
    assert all(v.startswith("TERRITORY_") for v in ENVIRONMENT_VARIABLES.values())


def test_from_env_reads_values_and_keeps_defaults() -> None:
    """Set variables are parsed, unset and empty ones keep their defaults."""
    config = ServiceConfig.from_env(
        {
            "TERRITORY_MAX_BODY_BYTES": "1000",
            "TERRITORY_MAX_TIME_LIMIT": "2.5",
            "TERRITORY_API_KEY": "k",
            "TERRITORY_MAX_JOBS": "",
        }
    )
    assert config.max_body_bytes == 1000
    assert config.max_time_limit == 2.5
    assert config.api_key == "k" and config.auth_enabled
    assert config.max_jobs == ServiceConfig().max_jobs


def test_config_is_frozen() -> None:
    """The configuration cannot change after the app reads it."""
    config = ServiceConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_customers = 1  # type: ignore[misc]


def test_bad_variables_name_the_variable() -> None:
    """A value that is not a number, or not positive, names its variable."""
    with pytest.raises(ValidationError) as info:
        ServiceConfig.from_env({"TERRITORY_MAX_CUSTOMERS": "many", "TERRITORY_MAX_JOBS": "1.5"})
    text = str(info.value)
    assert "TERRITORY_MAX_CUSTOMERS" in text and "'many'" in text and "TERRITORY_MAX_JOBS" in text
    with pytest.raises(ValidationError, match="TERRITORY_WORKERS"):
        ServiceConfig.from_env({"TERRITORY_WORKERS": "0"})


def test_inconsistent_limits_are_refused() -> None:
    """A job table smaller than the number of active jobs is refused."""
    with pytest.raises(ValidationError, match="max_job_table"):
        ServiceConfig(max_jobs=10, max_job_table=5)
    with pytest.raises(ValidationError, match="api_key"):
        ServiceConfig(api_key=" ")


def test_serve_command_reports_bad_variable_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m territory.service` with a bad variable exits 2 with a one-line message."""
    from territory.service.__main__ import main

    monkeypatch.setenv("TERRITORY_MAX_JOBS", "lots")
    assert main(["--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "TERRITORY_MAX_JOBS" in err and "Traceback" not in err


def test_empty_api_key_variable_is_an_error() -> None:
    """`TERRITORY_API_KEY=` (set but empty) is refused instead of switching auth off."""
    with pytest.raises(ValidationError, match="TERRITORY_API_KEY is set but empty"):
        ServiceConfig.from_env({"TERRITORY_API_KEY": ""})
    with pytest.raises(ValidationError, match="TERRITORY_API_KEY is set but empty"):
        ServiceConfig.from_env({"TERRITORY_API_KEY": "   "})
    assert not ServiceConfig.from_env({}).auth_enabled


def test_public_bind_needs_a_key_or_insecure() -> None:
    """A non-loopback host without a key is refused unless insecure=True."""
    check_bind("127.0.0.1", ServiceConfig())
    check_bind("localhost", ServiceConfig())
    check_bind("0.0.0.0", ServiceConfig(api_key="k"))
    check_bind("0.0.0.0", ServiceConfig(), insecure=True)
    with pytest.raises(ValidationError, match=r"listen on 0\.0\.0\.0 without an API key"):
        check_bind("0.0.0.0", ServiceConfig())


def test_module_entry_point_refuses_public_bind_without_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m territory.service --host 0.0.0.0` without a key exits 2 naming --insecure."""
    from territory.service.__main__ import main

    monkeypatch.delenv("TERRITORY_API_KEY", raising=False)
    assert main(["--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "--insecure" in err and "Traceback" not in err


def test_docs_need_the_key_when_one_is_set() -> None:
    """/docs, /redoc and /openapi.json answer 401 without the key, 200 with it."""
    with InProcessClient(ServiceConfig(job_store=":memory:", api_key="k")) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers={"X-API-Key": "k"}).status_code == 200, path
        assert client.get("/v1/health").status_code == 200
    with InProcessClient(ServiceConfig(job_store=":memory:")) as client:
        assert client.get("/openapi.json").json()["info"]["title"] == "territory"


def test_reps_per_request_are_limited() -> None:
    """More reps than TERRITORY_MAX_REPS get 422 naming the limit."""
    reps = [{"rep_id": f"r{i}", "home_lon": 9.0, "home_lat": 48.0} for i in range(3)]
    body = {
        "customers": [{"customer_id": "a", "lon": 9.0, "lat": 48.0}],
        "reps": reps,
        "balance": {"count": 0.1},
        "time_limit": 1,
    }
    assert ServiceConfig.from_env({"TERRITORY_MAX_REPS": "2"}).max_reps == 2
    with InProcessClient(ServiceConfig(job_store=":memory:", max_reps=2)) as client:
        response = client.post("/v1/territories", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["type"] == "/problems/limit_exceeded" and "TERRITORY_MAX_REPS" in error["detail"]


# ----------------------------------------------------------------------- documentation


REPO = Path(__file__).resolve().parents[2]


def test_every_territory_variable_is_documented() -> None:
    """Each TERRITORY_* variable the code reads is in ENVIRONMENT_VARIABLES and the README."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (REPO / "src" / "territory").rglob("*.py")
    )
    used = set(re.findall(r"TERRITORY_[A-Z][A-Z_]*[A-Z]", source))
    assert used <= set(ENVIRONMENT_VARIABLES.values()), used - set(ENVIRONMENT_VARIABLES.values())
    undocumented = [v for v in ENVIRONMENT_VARIABLES.values() if f"`{v}`" not in readme]
    assert not undocumented, f"README.md does not document {undocumented}"
