"""Tests of the service configuration read from TERRITORY_* environment variables."""

from __future__ import annotations

import dataclasses

import pytest

from territory.errors import ValidationError
from territory.service import ENVIRONMENT_VARIABLES, ServiceConfig


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
    from territory.service._serve import main

    monkeypatch.setenv("TERRITORY_MAX_JOBS", "lots")
    assert main(["--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "TERRITORY_MAX_JOBS" in err and "Traceback" not in err
