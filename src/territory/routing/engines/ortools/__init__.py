"""The OR-Tools day engine: model set-up, ruin-and-repair search, engine class."""

from territory.routing.engines.ortools.engine import OrToolsEngine

__all__ = ["OrToolsEngine"]
