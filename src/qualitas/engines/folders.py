"""Result folders written part by part by many workers, put in place all at once.

The Spark engine's workers write their partitions' results straight to Parquet with
Arrow (see :mod:`qualitas.engines.spark` for why). Each worker writes into a staging
folder beside the results; only when every partition has succeeded does the driver move
the parts into place, so a run that fails leaves the output folder as it was, and a task
that Spark runs twice (a retry) writes the same part file again rather than a second one.

>>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
>>> folder = tempfile.mkdtemp()
>>> staging = Staging.start(folder)
>>> table = pa.table({"org": ["A", "B"], "value": [1.0, 2.0]})
>>> staging.write_part("points", 0, 0, table.slice(0, 1))
>>> staging.write_part("points", 1, 0, table.slice(1, 1))
>>> paths = staging.commit({"points": table.schema}, parts=2)
>>> pq.read_table(paths["points"]).num_rows
2
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from qualitas.errors import QualitasError

STAGING_PREFIX = "_qualitas_staging_"


def is_local(directory: str) -> bool:
    """Whether ``directory`` is a path on this machine's file system (or one mounted
    on every node, as Databricks mounts ``/Volumes`` and ``/dbfs``), rather than a
    URL of a cloud store, whose credentials a cluster usually gives Spark alone."""
    return "://" not in directory or directory.startswith("file://")


@dataclass(frozen=True)
class Staging:
    """One run's staging folder inside the output folder ``uri``.

    Workers call :meth:`write_part`; the driver calls :meth:`commit` when every
    partition has been written, or :meth:`abort` if the run failed. It is pickled to
    the workers, which open the file system again from ``uri``.
    """

    uri: str
    name: str

    @classmethod
    def start(cls, directory: str) -> Staging:
        """A new staging folder for results to be written in ``directory``, which
        need not exist yet. Raises if Arrow cannot open its file system."""
        uri = directory if "://" in directory else os.path.abspath(directory)
        staging = cls(uri=uri.rstrip("/"), name=STAGING_PREFIX + uuid.uuid4().hex)
        fs, path = staging._open()
        try:
            fs.create_dir(f"{path}/{staging.name}", recursive=True)
        except OSError as error:
            raise QualitasError(
                f"cannot write results to {directory}: {error}"
            ) from None
        return staging

    def _open(self) -> tuple[pafs.FileSystem, str]:
        try:
            fs, path = pafs.FileSystem.from_uri(self.uri)
        except (pa.ArrowInvalid, OSError) as error:
            raise QualitasError(
                f"cannot write to {self.uri} with Arrow ({error}); "
                "let Spark write the results instead (writer='spark')"
            ) from None
        return fs, path.rstrip("/")

    def write_part(
        self, table_name: str, partition: int, attempt: int, table: pa.Table
    ) -> None:
        """Write one partition's rows of one table. A retried task overwrites its
        earlier attempt's part; each attempt writes under a name of its own first
        and then renames, so no reader sees half a file."""
        fs, path = self._open()
        folder = f"{path}/{self.name}/{table_name}"
        fs.create_dir(folder, recursive=True)
        final = f"{folder}/part-{partition:05d}.parquet"
        partial = f"{final}.attempt-{attempt}"
        pq.write_table(table, partial, filesystem=fs)
        fs.move(partial, final)

    def commit(self, schemas: Mapping[str, pa.Schema], parts: int) -> dict[str, str]:
        """Move every table's parts to ``<table>.parquet`` in the output folder,
        replacing what was there, and remove the staging folder. ``parts`` is how many
        parts of each table the workers said they wrote: if fewer are found here, the
        workers wrote to folders of their own machines, and nothing is moved. A table
        with no rows at all gets one empty part, so that readers still see its
        columns."""
        fs, path = self._open()
        staged = {
            name: sorted(
                info.path
                for info in _listing(fs, f"{path}/{self.name}/{name}")
                if info.path.endswith(".parquet")
            )
            for name in schemas
        }
        found = min((len(p) for p in staged.values()), default=parts)
        if found < parts:
            raise QualitasError(
                f"the workers wrote {parts} parts of each table, but only {found} "
                f"reached {self.uri}: on a cluster, write to a folder that every node "
                "shares (such as a Databricks volume, /Volumes/...) or let Spark "
                "write the files (writer='spark')"
            )
        paths = {}
        for table_name, schema in schemas.items():
            target = f"{path}/{table_name}.parquet"
            _remove(fs, target)
            fs.create_dir(target, recursive=True)
            for part in staged[table_name]:
                fs.move(part, f"{target}/{part.rsplit('/', 1)[1]}")
            if not staged[table_name]:
                pq.write_table(
                    schema.empty_table(), f"{target}/part-00000.parquet", filesystem=fs
                )
            paths[table_name] = f"{self.uri}/{table_name}.parquet"
        fs.delete_dir(f"{path}/{self.name}")
        return paths

    def abort(self) -> None:
        """Remove the staging folder and everything in it."""
        fs, path = self._open()
        _remove(fs, f"{path}/{self.name}")


def _listing(fs: pafs.FileSystem, folder: str) -> list[pafs.FileInfo]:
    if fs.get_file_info(folder).type != pafs.FileType.Directory:
        return []
    return list(fs.get_file_info(pafs.FileSelector(folder)))


def _remove(fs: pafs.FileSystem, path: str) -> None:
    kind = fs.get_file_info(path).type
    if kind == pafs.FileType.Directory:
        fs.delete_dir(path)
    elif kind != pafs.FileType.NotFound:
        fs.delete_file(path)
