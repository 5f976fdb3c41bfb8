"""Travel models: minutes and kilometres between any two sets of points.

Every stage asks a :class:`TravelModel` for travel between :class:`Points` (ids plus
WGS84 coordinates). Three models are provided:

* :class:`GreatCircleTravel` -- great-circle distance times a detour factor, driven
  at a constant speed. The default; needs nothing else.
* :class:`RoadNetworkTravel` -- shortest paths on a road graph (networkx) with edge
  lengths and speeds; points are snapped to the nearest node of the largest strongly
  connected part of the network and the short access legs are added as straight lines.
* :class:`MatrixTravel` -- a matrix the user supplies (for example from their own
  routing server), looked up by point id.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from territory.errors import ProblemCollector, ValidationError, format_ids
from territory.geometry import EARTH_RADIUS_KM
from territory.geometry import unit_vectors as _unit_vectors

__all__ = [
    "EARTH_RADIUS_KM",
    "GreatCircleTravel",
    "MatrixTravel",
    "Points",
    "RoadNetworkTravel",
    "TravelMatrix",
    "TravelModel",
    "haversine_km",
]

logger = logging.getLogger("territory")


FloatArray = NDArray[np.float64]


def haversine_km(
    lon1: NDArray[Any] | float,
    lat1: NDArray[Any] | float,
    lon2: NDArray[Any] | float,
    lat2: NDArray[Any] | float,
) -> FloatArray:
    """Great-circle distance in kilometres (broadcasting like numpy).

    Examples
    --------
    >>> round(float(haversine_km(0.0, 0.0, 1.0, 0.0)), 3)
    111.195
    """
    lon1r, lat1r, lon2r, lat2r = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2r - lat1r) / 2.0) ** 2
        + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2.0) ** 2
    )
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


@dataclass(frozen=True)
class Points:
    """Ids and WGS84 coordinates of a set of points.

    Parameters
    ----------
    ids
        One id per point (strings); :class:`MatrixTravel` looks points up by id.
    lon, lat
        Coordinates in degrees.
    """

    ids: NDArray[np.object_]
    lon: FloatArray
    lat: FloatArray

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=object)
        lon = np.asarray(self.lon, dtype=float)
        lat = np.asarray(self.lat, dtype=float)
        if not (ids.ndim == lon.ndim == lat.ndim == 1) or not (len(ids) == len(lon) == len(lat)):
            raise ValidationError("points: ids, lon and lat must be 1-d and of equal length")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, id_column: str, lon: str = "lon", lat: str = "lat"
    ) -> Points:
        """Take points from a table's id and coordinate columns."""
        return cls(
            ids=frame[id_column].astype(str).to_numpy(dtype=object),
            lon=frame[lon].to_numpy(dtype=float),
            lat=frame[lat].to_numpy(dtype=float),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: Sequence[int] | NDArray[np.integer[Any]]) -> Points:
        """A subset of the points, in the order of ``index``."""
        idx = np.asarray(index, dtype=int)
        return Points(self.ids[idx], self.lon[idx], self.lat[idx])

    @staticmethod
    def concat(parts: Sequence[Points]) -> Points:
        """Join several point sets, in order."""
        return Points(
            np.concatenate([p.ids for p in parts]) if parts else np.empty(0, dtype=object),
            np.concatenate([p.lon for p in parts]) if parts else np.empty(0),
            np.concatenate([p.lat for p in parts]) if parts else np.empty(0),
        )


@dataclass(frozen=True)
class TravelMatrix:
    """Travel from every origin (rows) to every destination (columns).

    Attributes
    ----------
    minutes
        Travel time in minutes; ``inf`` where no route exists.
    km
        Travel distance in kilometres; ``inf`` where no route exists.
    """

    minutes: FloatArray
    km: FloatArray


class TravelModel(ABC):
    """Interface of every travel model."""

    @abstractmethod
    def matrix(self, origins: Points, destinations: Points | None = None) -> TravelMatrix:
        """Travel minutes and kilometres from each origin to each destination.

        Parameters
        ----------
        origins
            Row points.
        destinations
            Column points; the origins themselves when omitted.

        Returns
        -------
        TravelMatrix
            Arrays of shape ``(len(origins), len(destinations))``.
        """

    def straight_km(self, origins: Points, destinations: Points | None = None) -> FloatArray:
        """Great-circle kilometres, a cheap lower bound used for pruning and estimates.

        Computed from chord lengths between points on the unit sphere (exact, and several
        times faster than the haversine formula on large matrices).
        """
        from scipy.spatial.distance import cdist

        destinations = origins if destinations is None else destinations
        chord: FloatArray = cdist(
            _unit_vectors(origins.lon, origins.lat),
            _unit_vectors(destinations.lon, destinations.lat),
        )
        np.clip(chord, 0.0, 2.0, out=chord)
        chord *= 0.5
        np.arcsin(chord, out=chord)
        chord *= 2.0 * EARTH_RADIUS_KM
        return chord


@dataclass(frozen=True)
class GreatCircleTravel(TravelModel):
    """Great-circle distance times a detour factor, at a constant speed.

    Parameters
    ----------
    speed_kmh
        Average driving speed, km/h.
    detour_factor
        Road distance over straight-line distance (1.3 is typical for towns).

    Examples
    --------
    >>> p = Points(["a", "b"], [0.0, 1.0], [0.0, 0.0])
    >>> m = GreatCircleTravel(speed_kmh=60.0, detour_factor=1.0).matrix(p)
    >>> round(float(m.minutes[0, 1]), 1)
    111.2
    """

    speed_kmh: float = 40.0
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        if not self.speed_kmh > 0:
            raise ValidationError(f"travel: speed_kmh must be positive, got {self.speed_kmh}")
        if not self.detour_factor >= 1.0:
            raise ValidationError(
                f"travel: detour_factor must be at least 1, got {self.detour_factor}"
            )

    def matrix(self, origins: Points, destinations: Points | None = None) -> TravelMatrix:
        """Travel minutes and kilometres; see :meth:`TravelModel.matrix`."""
        km = self.straight_km(origins, destinations) * self.detour_factor
        return TravelMatrix(minutes=km * (60.0 / self.speed_kmh), km=km)


@dataclass(frozen=True)
class MatrixTravel(TravelModel):
    """A travel matrix supplied by the user, looked up by point id.

    Parameters
    ----------
    minutes
        Square table of travel minutes; index and columns are point ids (customer ids
        and rep ids).
    km
        Table of the same shape with kilometres; when omitted, distances are reported
        as NaN-free zeros are *not* invented -- they are estimated from minutes at
        ``speed_kmh``.
    speed_kmh
        Used only to estimate kilometres when ``km`` is not given.
    """

    minutes: pd.DataFrame
    km: pd.DataFrame | None = None
    speed_kmh: float = 40.0
    _position: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        index = [str(i) for i in self.minutes.index]
        if index != [str(c) for c in self.minutes.columns]:
            problems.add(
                "travel_matrix",
                None,
                "minutes must be square with the same ids as index and columns",
            )
        values = self.minutes.to_numpy(dtype=float)
        if (values < 0).any():
            rows = np.flatnonzero((values < 0).any(axis=1))
            problems.add(
                "travel_matrix",
                "minutes",
                "has negative values",
                [index[i] for i in rows],
                id_column="from id",
            )
        if self.km is not None and self.km.shape != self.minutes.shape:
            problems.add("travel_matrix", "km", "must have the shape of minutes")
        problems.raise_if_any()
        object.__setattr__(self, "_position", {pid: i for i, pid in enumerate(index)})

    def _positions(self, points: Points) -> NDArray[np.intp]:
        missing = [pid for pid in points.ids if str(pid) not in self._position]
        if missing:
            raise ValidationError(
                f"travel_matrix: {len(missing)} ids have no row in the matrix "
                f"(id: {format_ids(missing)})"
            )
        return np.array([self._position[str(pid)] for pid in points.ids], dtype=np.intp)

    def matrix(self, origins: Points, destinations: Points | None = None) -> TravelMatrix:
        """Travel minutes and kilometres; see :meth:`TravelModel.matrix`."""
        destinations = origins if destinations is None else destinations
        rows, cols = self._positions(origins), self._positions(destinations)
        minutes = self.minutes.to_numpy(dtype=float)[np.ix_(rows, cols)]
        if self.km is not None:
            km = self.km.to_numpy(dtype=float)[np.ix_(rows, cols)]
        else:
            km = minutes * (self.speed_kmh / 60.0)
        return TravelMatrix(minutes=minutes, km=km)


class RoadNetworkTravel(TravelModel):
    """Shortest paths on a road network.

    Parameters
    ----------
    graph
        A networkx graph (directed or not, multi or not). Nodes carry ``x`` (lon) and
        ``y`` (lat) attributes; edges carry a length in metres (``length``) and either a
        speed in km/h (``speed_kph``; ``maxspeed`` is also read) or a travel time in
        seconds (``travel_time``). Undirected edges are driven both ways.
    default_speed_kmh
        Speed on edges that give neither speed nor travel time.
    access_speed_kmh
        Speed of the straight access leg from a point to its nearest road node
        (default: ``default_speed_kmh``).

    Notes
    -----
    Points snap to the nearest node of the largest strongly connected component, so
    every pair of points is connected. Shortest paths minimise minutes; the kilometres
    reported are those of the fastest path. Many sources run at once through
    :func:`scipy.sparse.csgraph.dijkstra`.
    """

    def __init__(
        self,
        graph: Any,
        *,
        default_speed_kmh: float = 30.0,
        access_speed_kmh: float | None = None,
    ) -> None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        if graph.number_of_nodes() == 0:
            raise ValidationError("road_network: the graph has no nodes")
        if not default_speed_kmh > 0:
            raise ValidationError("road_network: default_speed_kmh must be positive")
        self.default_speed_kmh = float(default_speed_kmh)
        self.access_speed_kmh = float(access_speed_kmh or default_speed_kmh)
        nodes = list(graph.nodes)
        position = {node: i for i, node in enumerate(nodes)}
        problems = ProblemCollector()
        xs = np.array([_float_attr(graph.nodes[n], "x") for n in nodes])
        ys = np.array([_float_attr(graph.nodes[n], "y") for n in nodes])
        bad = np.isnan(xs) | np.isnan(ys)
        if bad.any():
            problems.add(
                "road_network",
                "x/y",
                "has nodes without coordinates",
                [nodes[i] for i in np.flatnonzero(bad)],
                id_column="node",
            )
        heads: list[int] = []
        tails: list[int] = []
        minutes: list[float] = []
        km: list[float] = []
        bad_edges: list[object] = []
        edges = graph.edges(data=True)
        directed = graph.is_directed()
        for u, v, data in edges:
            length_m = _float_attr(data, "length")
            if np.isnan(length_m) or length_m < 0:
                bad_edges.append(f"{u}->{v}")
                continue
            edge_minutes = _edge_minutes(data, length_m, self.default_speed_kmh)
            pairs = [(u, v)] if directed else [(u, v), (v, u)]
            for a, b in pairs:
                heads.append(position[a])
                tails.append(position[b])
                minutes.append(edge_minutes)
                km.append(length_m / 1000.0)
        if bad_edges:
            problems.add(
                "road_network",
                "length",
                "has edges with a missing or negative length",
                bad_edges,
                id_column="edge",
            )
        problems.raise_if_any()
        n = len(nodes)
        # Keep the fastest of parallel edges (csr_matrix would add them up).
        order = np.lexsort((np.array(minutes), np.array(tails), np.array(heads)))
        h, t = np.array(heads)[order], np.array(tails)[order]
        m, k = np.array(minutes)[order], np.array(km)[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = (h[1:] != h[:-1]) | (t[1:] != t[:-1])
        h, t, m, k = h[first], t[first], m[first], k[first]
        # Zero-weight edges vanish from a sparse matrix: give them a tiny positive weight.
        m = np.maximum(m, 1e-9)
        self._time_graph = csr_matrix((m, (h, t)), shape=(n, n))
        self._km_graph = csr_matrix((k, (h, t)), shape=(n, n))
        _, labels = connected_components(self._time_graph, directed=True, connection="strong")
        largest = np.bincount(labels).argmax()
        self._snap_nodes = np.flatnonzero(labels == largest)
        if len(self._snap_nodes) < n:
            logger.info(
                "road network: %d of %d nodes lie outside the largest strongly "
                "connected component and are not used for snapping",
                n - len(self._snap_nodes),
                n,
            )
        self._node_lon = xs
        self._node_lat = ys
        self._nodes = nodes
        from scipy.spatial import cKDTree

        self._tree = cKDTree(_unit_vectors(xs[self._snap_nodes], ys[self._snap_nodes]))

    @classmethod
    def from_osm(
        cls, path: str, *, network_type: str = "driving", **kwargs: Any
    ) -> RoadNetworkTravel:
        """Build the network from an OpenStreetMap ``.osm.pbf`` extract (needs ``pyrosm``).

        Parameters
        ----------
        path
            Path to the extract.
        network_type
            pyrosm network type (``"driving"``, ``"walking"``, ...).
        **kwargs
            Passed to the constructor.
        """
        from territory.osm_roads import read_osm_road_graph

        return cls(read_osm_road_graph(path, network_type=network_type), **kwargs)

    @property
    def node_count(self) -> int:
        """Number of nodes in the network."""
        return len(self._nodes)

    def snap(self, points: Points) -> tuple[NDArray[np.intp], FloatArray]:
        """Nearest usable node of each point and the straight distance to it in km."""
        _, idx = self._tree.query(_unit_vectors(points.lon, points.lat))
        nodes = self._snap_nodes[np.asarray(idx, dtype=np.intp)]
        access = haversine_km(points.lon, points.lat, self._node_lon[nodes], self._node_lat[nodes])
        return nodes, access

    def matrix(self, origins: Points, destinations: Points | None = None) -> TravelMatrix:
        """Travel minutes and kilometres; see :meth:`TravelModel.matrix`."""
        from scipy.sparse.csgraph import dijkstra

        destinations = origins if destinations is None else destinations
        o_nodes, o_access = self.snap(origins)
        d_nodes, d_access = self.snap(destinations)
        sources, source_row = np.unique(o_nodes, return_inverse=True)
        times, predecessors = dijkstra(
            self._time_graph, directed=True, indices=sources, return_predecessors=True
        )
        path_km = _path_lengths(predecessors, self._km_graph)
        node_minutes = times[np.ix_(source_row, d_nodes)]
        node_km = np.where(np.isfinite(node_minutes), path_km[np.ix_(source_row, d_nodes)], np.inf)
        access_minutes = 60.0 / self.access_speed_kmh
        access_km = o_access[:, None] + d_access[None, :]
        km = node_km + access_km
        access_km *= access_minutes
        minutes = node_minutes + access_km
        same = (origins.lon[:, None] == destinations.lon[None, :]) & (
            origins.lat[:, None] == destinations.lat[None, :]
        )
        minutes[same] = 0.0
        km[same] = 0.0
        return TravelMatrix(minutes=np.asarray(minutes), km=np.asarray(km))


def _float_attr(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _edge_minutes(data: dict[str, Any], length_m: float, default_speed_kmh: float) -> float:
    seconds = _float_attr(data, "travel_time")
    if not np.isnan(seconds) and seconds >= 0:
        return seconds / 60.0
    for key in ("speed_kph", "maxspeed"):
        speed = _float_attr(data, key)
        if not np.isnan(speed) and speed > 0:
            return length_m / 1000.0 / speed * 60.0
    return length_m / 1000.0 / default_speed_kmh * 60.0


def _path_lengths(predecessors: NDArray[np.int32], weights: Any) -> FloatArray:
    """Sum edge ``weights`` along every shortest-path tree by pointer jumping.

    ``predecessors[s, v]`` is the node before ``v`` on the path from source ``s``
    (``-9999`` for the source and unreachable nodes). Runs in O(n log depth) numpy
    steps instead of walking each path in Python.
    """
    n_sources, n = predecessors.shape
    pred = predecessors.astype(np.int64)
    has_pred = pred >= 0
    rows = np.broadcast_to(np.arange(n_sources)[:, None], pred.shape)
    cols = np.broadcast_to(np.arange(n)[None, :], pred.shape)
    acc = np.zeros(pred.shape)
    if has_pred.any():
        edge = np.asarray(weights[pred[has_pred], cols[has_pred]]).ravel()
        acc[has_pred] = edge
    pointer = np.where(has_pred, pred, -1)
    while (pointer >= 0).any():
        live = pointer >= 0
        acc[live] += acc[rows[live], pointer[live]]
        nxt = np.full(pred.shape, -1, dtype=np.int64)
        nxt[live] = pointer[rows[live], pointer[live]]
        pointer = nxt
    return acc
