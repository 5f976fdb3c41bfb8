"""Read and write tables as CSV, Parquet, GeoParquet, GeoJSON, GeoPackage or Excel.

The format is chosen by the file suffix (:data:`FORMATS` maps the command line's
``--format`` names to suffixes). Used by the command line; handy in scripts too. Id
columns (``*_id``) of CSV and Excel files are read as strings so that ``"007"`` stays
``"007"``. A file that cannot be read (missing, empty, not UTF-8, malformed) is a
:class:`~territory.errors.ValidationError` naming the file and the reason.

Geometry: a GeoDataFrame keeps its geometry in every format (as WKT text in CSV and
Excel); a plain table with ``lon``/``lat`` columns gets point geometry in the geo
formats (GeoJSON, GeoPackage, GeoParquet, and ``.parquet``); a table without location
is written with empty geometry to GeoJSON and GeoParquet (features with ``"geometry":
null``) and as an attribute table to GeoPackage, and reads back without geometry.

Writing never loses data:

* **atomic** -- every file is first written to a temporary file in the folder it goes
  to, then renamed over its final name (:func:`os.replace`), so a reader never sees a
  half-written file;
* **all or nothing** -- :class:`OutputSet` writes a set of outputs (tables, maps, whole
  folders) as temporary files first and renames them only when all of them were
  written; when one fails, the temporary files are removed and the previous outputs are
  left exactly as they were (a rename that fails part-way is rolled back);
* **non-destructive** -- an existing file is never replaced unless ``overwrite=True``
  (``--force`` on the command line); the refusal names the files and changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

import pandas as pd

from territory.errors import OutputError, ValidationError, format_ids

__all__ = [
    "FORMATS",
    "OUTPUT_NAMES",
    "SUFFIXES",
    "TABLE_FORMATS",
    "OutputSet",
    "check_not_existing",
    "read_table",
    "write_table",
]

logger = logging.getLogger("territory")

#: Prefix of temporary files and folders; they never outlive a write.
TEMP_PREFIX = ".territory-tmp-"

#: Suffixes understood by :func:`read_table` and :func:`write_table`.
SUFFIXES = (".csv", ".geojson", ".json", ".parquet", ".geoparquet", ".gpkg", ".xlsx")

#: Output formats of the command line (``--format``) and the suffix each writes.
FORMATS: dict[str, str] = {
    "csv": ".csv",
    "parquet": ".parquet",
    "geoparquet": ".geoparquet",
    "geojson": ".geojson",
    "gpkg": ".gpkg",
    "xlsx": ".xlsx",
}

#: The formats that suit tables without location (no empty geometry).
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")

#: File stems of each stage's outputs, the same whether ``territory demo`` or the
#: stage's own subcommand writes them (the suffix follows the format).
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "grade": ("grades", "visit_requirements"),
    "territories": ("assignment", "territories"),
    "plan": ("visits", "days", "unplanned", "routes"),
    "allocate": ("targets",),
}

_GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".geoparquet")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    return suffix


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table from CSV, GeoJSON, (Geo)Parquet, GeoPackage or Excel.

    Parameters
    ----------
    path
        The file; its suffix picks the format. CSV files must be UTF-8 text.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame for geo files whose rows carry geometry; a plain table when
        the file has no geometry or only empty geometry.

    Raises
    ------
    ValidationError
        When the file is missing, a folder, empty, of an unknown type, not UTF-8 text
        or malformed; the message names the file and the reason.
    """
    file = Path(path)
    suffix = _suffix(file)
    if not file.exists():
        raise ValidationError(f"{file}: no such file")
    if file.is_dir():
        raise ValidationError(f"{file}: is a folder, not a table file")
    if file.stat().st_size == 0:
        raise ValidationError(f"{file}: the file is empty (expected a header row at least)")
    try:
        return _read(file, suffix)
    except UnicodeDecodeError:
        raise ValidationError(
            f"{file}: not UTF-8 text ({_first_bad_byte(file)}); save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise ValidationError(f"{file}: no columns (expected a header row)") from None
    except ImportError as error:
        raise ValidationError(f"{file}: {error}") from None
    except ValidationError:
        raise
    except Exception as error:  # every parser has its own errors: all mean a bad file
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ValidationError(f"{file}: cannot be read as {suffix[1:]}: {reason}") from None


def _first_bad_byte(file: Path) -> str:
    """Where the first byte that is not UTF-8 is, e.g. ``"line 2: byte 0xf6"``."""
    data = file.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return f"line {line}: byte 0x{data[error.start]:02x}"
    return "a byte sequence that is not UTF-8"


def _read(file: Path, suffix: str) -> pd.DataFrame:
    """Parse ``file`` in the format of ``suffix`` (errors are the parsers' own)."""
    if suffix == ".csv":
        _check_csv_rows(file)
        header = pd.read_csv(file, nrows=0, encoding="utf-8")
        return pd.read_csv(file, dtype=_id_types(header.columns), encoding="utf-8", index_col=False)
    if suffix == ".xlsx":
        _require_openpyxl()
        first = pd.read_excel(file, header=None, nrows=1, engine="openpyxl")
        _refuse_repeated_names(file, [str(v) for v in first.iloc[0]] if len(first) else [])
        header = pd.read_excel(file, nrows=0, engine="openpyxl")
        return pd.read_excel(file, dtype=_id_types(header.columns), engine="openpyxl")
    import geopandas as gpd

    table: pd.DataFrame
    if suffix in (".parquet", ".geoparquet"):
        try:
            table = gpd.read_parquet(file)
        except ValueError:  # plain Parquet without geo metadata
            return pd.read_parquet(file)
    else:
        table = gpd.read_file(file)
    return _without_empty_geometry(table)


def _check_csv_rows(file: Path) -> None:
    """Refuse a repeated header name, and a row with more values than the header names.

    pandas would rename a repeated name to ``x.1``, and drop (or, without
    ``index_col=False``, make an index of) the extra fields. Empty extra fields,
    such as the trailing comma some spreadsheets write, lose nothing and pass.
    """
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        names = next((row for row in reader if row), [])  # pandas skips blank lines
        _refuse_repeated_names(file, names)
        for row in reader:
            if len(row) > len(names) and any(row[len(names) :]):
                raise ValidationError(
                    f"{file}: cannot be read as csv: line {reader.line_num} has {len(row)} "
                    f"fields, but the header names {len(names)} columns"
                )


def _refuse_repeated_names(file: Path, names: list[str]) -> None:
    """A header naming a column twice is refused (pandas would rename one to ``x.1``)."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationError(
            f"{file}: the header names {', '.join(map(repr, repeated))} more than once"
        )


def _id_types(columns: pd.Index) -> dict[str, type[str]]:
    return {str(c): str for c in columns if str(c).endswith("_id") or c == "id"}


def _without_empty_geometry(table: pd.DataFrame) -> pd.DataFrame:
    """A plain table when no row has a geometry (a table written without location)."""
    import geopandas as gpd

    if isinstance(table, gpd.GeoDataFrame) and len(table) and table.geometry.isna().all():
        return pd.DataFrame(table.drop(columns=table.geometry.name))
    return table


def _require_openpyxl() -> None:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ImportError("Excel files need openpyxl: pip install 'territory[excel]'") from None


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding tuples (weekdays) become comma-separated strings."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, tuple)).any():
            out[column] = out[column].map(
                lambda v: ",".join(map(str, v)) if isinstance(v, tuple) else v
            )
    return out


def check_not_existing(paths: Iterable[str | Path], *, overwrite: bool = False) -> None:
    """Refuse to go on when any of ``paths`` exists, unless ``overwrite``.

    Call it before a long computation whose outputs are known in advance, so that the
    refusal comes at once rather than after the work.

    Parameters
    ----------
    paths
        The output files.
    overwrite
        When true, existing files are fine (they will be replaced).

    Raises
    ------
    OutputError
        Naming up to five existing files.
    """
    if overwrite:
        return
    existing = [Path(p) for p in paths if os.path.lexists(p)]
    if existing:
        folders = sorted({str(p.parent) for p in existing})
        where = folders[0] if len(folders) == 1 else "several folders"
        raise OutputError(
            f"refusing to overwrite {len(existing)} existing "
            f"{'file' if len(existing) == 1 else 'files'} in {where} "
            f"({format_ids(p.name if len(folders) == 1 else str(p) for p in existing)}); "
            "pass --force (command line) or overwrite=True (library) to replace them, or "
            "choose another output folder"
        )


def _temp_path(final: Path) -> Path:
    """A fresh temporary name next to ``final`` (same folder, so renaming is atomic)."""
    return final.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}-{final.name}"


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _write_to(table: pd.DataFrame, file: Path, suffix: str, lon: str, lat: str, layer: str) -> None:
    """Write ``table`` in the format of ``suffix`` to ``file`` (any name)."""
    import geopandas as gpd

    if suffix in (".csv", ".xlsx"):
        if isinstance(table, gpd.GeoDataFrame):
            table = pd.DataFrame(table).assign(**{table.geometry.name: table.geometry.to_wkt()})
        if suffix == ".csv":
            table.to_csv(file, index=False)
        else:
            _require_openpyxl()
            _excel_safe(table).to_excel(file, index=False, engine="openpyxl", sheet_name=layer)
        return
    geo: gpd.GeoDataFrame | None
    if isinstance(table, gpd.GeoDataFrame):
        geo = table
    elif lon in table.columns and lat in table.columns:
        geo = gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table[lon], table[lat]), crs="EPSG:4326"
        )
    elif suffix == ".parquet":
        table.to_parquet(file, index=False)
        return
    elif suffix == ".gpkg":
        import pyogrio

        pyogrio.write_dataframe(table, file, layer=layer, driver="GPKG")
        return
    else:  # GeoJSON and GeoParquet: every row a feature with empty geometry
        geo = gpd.GeoDataFrame(
            table, geometry=gpd.GeoSeries([None] * len(table), index=table.index), crs="EPSG:4326"
        )
    if suffix in (".geojson", ".json"):
        geo.to_file(file, driver="GeoJSON", layer=layer)
    elif suffix == ".gpkg":
        geo.to_file(file, driver="GPKG", layer=layer)
    else:
        geo.to_parquet(file, index=False)


def _excel_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Excel holds no time zones: zoned timestamps become ISO 8601 text."""
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].map(lambda t: t.isoformat() if pd.notna(t) else None)
    return out


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    lon: str = "lon",
    lat: str = "lat",
    overwrite: bool = False,
) -> Path:
    """Write a table as CSV, Parquet, GeoParquet, GeoJSON, GeoPackage or Excel, atomically.

    The table is written to a temporary file in the same folder, then renamed over
    ``path``: a reader sees the old file or the new one, never half of one.

    Parameters
    ----------
    frame
        The table; a GeoDataFrame keeps its geometry (WKT text in CSV and Excel). A
        plain table with ``lon``/``lat`` columns gets point geometry in the geo formats;
        one without them gets empty geometry (see the module notes).
    path
        The file; its suffix picks the format. Missing folders are created.
    lon, lat
        Coordinate columns used to make points for a plain table.
    overwrite
        Replace ``path`` when it exists; by default an existing file is an error.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputError
        When ``path`` exists and ``overwrite`` is false, or the write failed (the old
        file, if any, is then unchanged).
    ValidationError
        When the suffix is not one of :data:`SUFFIXES`.
    """
    with OutputSet(Path(path).parent, overwrite=overwrite) as outputs:
        written = outputs.table(frame, Path(path).name, lon=lon, lat=lat)
    return written


class OutputSet:
    """A set of output files written completely or not at all.

    Each output is written at once to a temporary file (or folder) inside ``out_dir``;
    :meth:`commit` -- called when the ``with`` block ends without an error -- renames
    them all onto their final names. When anything fails (a write, a rename, the code in
    the ``with`` block), every temporary file is removed and every file already renamed
    is put back, so the folder holds exactly the previous outputs.

    Parameters
    ----------
    out_dir
        The output folder (created when missing).
    overwrite
        Replace existing outputs; by default :meth:`commit` refuses, naming them.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with OutputSet(folder) as outputs:
    ...     _ = outputs.table(pd.DataFrame({"a": [1]}), "a.csv")
    ...     _ = outputs.table(pd.DataFrame({"b": [2]}), "b.csv")
    >>> sorted(p.name for p in outputs.written)
    ['a.csv', 'b.csv']
    """

    def __init__(self, out_dir: str | Path, *, overwrite: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        self.written: list[Path] = []
        self._pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self._folders: list[Path] = []  # staging folders, committed file by file
        self._created_dir = False

    def _prepare_dir(self) -> None:
        if not self.out_dir.exists():
            try:
                self.out_dir.mkdir(parents=True)
            except OSError as error:
                raise OutputError(f"cannot create output folder {self.out_dir}: {error}") from None
            self._created_dir = True
        elif not self.out_dir.is_dir():
            raise OutputError(f"output folder {self.out_dir} exists and is not a folder")

    def _final(self, name: str | Path) -> Path:
        final = self.out_dir / name
        if any(final == f for _, f in self._pending):
            raise OutputError(f"{final} is written twice in one output set")
        return final

    def file(self, name: str | Path, writer: Callable[[Path], object]) -> Path:
        """Write one output with ``writer(temporary_path)``; renamed to ``name`` on commit.

        Parameters
        ----------
        name
            File name relative to ``out_dir`` (may contain sub-folders).
        writer
            Writes the file to the path it is given.

        Returns
        -------
        pathlib.Path
            The final path.
        """
        self._prepare_dir()
        final = self._final(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = _temp_path(final)
        try:
            writer(temp)
        except BaseException:
            _remove(temp)
            raise
        if not temp.exists():
            raise OutputError(f"{final}: nothing was written")
        self._pending.append((temp, final))
        return final

    def table(
        self, frame: pd.DataFrame, name: str | Path, *, lon: str = "lon", lat: str = "lat"
    ) -> Path:
        """Write a table (format from the suffix of ``name``, as :func:`write_table`).

        Returns
        -------
        pathlib.Path
            The final path.
        """
        suffix = _suffix(Path(name))
        plain = _plain(frame)
        layer = Path(name).stem
        return self.file(name, lambda temp: _write_to(plain, temp, suffix, lon, lat, layer))

    def folder(self) -> Path:
        """A temporary folder inside ``out_dir``; everything in it is committed too.

        Write any number of files (and sub-folders) into it with code that knows nothing
        about output sets; on commit each file goes to the same relative path under
        ``out_dir``.
        """
        self._prepare_dir()
        staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.out_dir))
        self._folders.append(staging)
        return staging

    def _collect_folders(self) -> None:
        for staging in self._folders:
            for temp in sorted(p for p in staging.rglob("*") if p.is_file() or p.is_symlink()):
                final = self._final(temp.relative_to(staging))
                self._pending.append((temp, final))

    def commit(self) -> list[Path]:
        """Rename every output onto its final name, all or nothing.

        Returns
        -------
        list of pathlib.Path
            The final paths, in the order they were written.

        Raises
        ------
        OutputError
            When outputs exist and ``overwrite`` is false, or a rename failed; no output
            is changed then.
        """
        try:
            self._collect_folders()
            check_not_existing([final for _, final in self._pending], overwrite=self.overwrite)
            self._rename_all()
        except BaseException:
            self.discard()
            raise
        self._cleanup()
        self.written = [final for _, final in self._pending]
        self._pending = []
        return self.written

    def _rename_all(self) -> None:
        done: list[tuple[Path, Path | None]] = []  # (final, backup of the old file or None)
        try:
            for temp, final in self._pending:
                final.parent.mkdir(parents=True, exist_ok=True)
                backup: Path | None = None
                if os.path.lexists(final):
                    if final.is_dir() and not final.is_symlink():
                        raise OutputError(f"{final} is a folder; a file cannot replace it")
                    backup = _temp_path(final)
                    os.replace(final, backup)
                done.append((final, backup))
                os.replace(temp, final)
        except BaseException as error:
            for final, backup in reversed(done):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, final)
                    elif final.exists():
                        final.unlink()
            if isinstance(error, OSError):
                raise OutputError(
                    f"could not write {error.filename or self.out_dir}: {error.strerror}; "
                    "no output was changed"
                ) from error
            raise
        for _, backup in done:
            if backup is not None:
                _remove(backup)

    def discard(self) -> None:
        """Remove every temporary file and folder; the outputs stay as they were."""
        for temp, _ in self._pending:
            _remove(temp)
        self._pending = []
        self._cleanup()
        if self._created_dir:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()  # only when empty

    def _cleanup(self) -> None:
        for staging in self._folders:
            _remove(staging)
        self._folders = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
