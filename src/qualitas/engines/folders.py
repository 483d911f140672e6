"""Result folders written in a staging folder, put in place all at once.

The Spark engine's workers write their partitions' results straight to Parquet with
Arrow (see :mod:`qualitas.engines.spark` for why). Each worker writes into a staging
folder beside the results; only when every partition has succeeded does the driver move
the parts into place, so a run that fails leaves the output folder as it was, and a task
that Spark runs twice (a retry) writes the same part file again rather than a second one.

The local engine writes each whole table into the staging folder and, when all have
succeeded, renames them over the old results (:meth:`Staging.commit_files`). So an
input error, Ctrl+C or ``kill -9`` part way through leaves the previous results exactly
as they were. The renames themselves take microseconds; to make even a kill in that
instant safe, the commit first writes a marker listing the tables, and the next run
into the folder finishes a commit it finds marked (and removes the staging folders of
runs that died before committing). A lock held by the running process tells a live
run's staging folder from a dead one's: the system releases it however the process
ends.

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

import contextlib
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from qualitas.engines.base import TABLES
from qualitas.errors import QualitasError

try:
    import fcntl
except ImportError:  # Windows: no locks, so no clearing up after other runs
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = "_qualitas_staging_"
LOCK = "_running"  # locked by the run that owns the staging folder
COMMIT = "_commit"  # written once every table is staged: the run is complete
# Locks held by this process, by staging folder name (a Staging is pickled to Spark's
# workers, so the file descriptor cannot live on it).
_HELD: dict[str, int] = {}


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
    created: bool = False  # whether the output folder was made for this run

    @classmethod
    def start(cls, directory: str) -> Staging:
        """A new staging folder for results to be written in ``directory``, which
        need not exist yet. Raises if Arrow cannot open its file system. In a folder
        on this machine, first finishes or clears what earlier runs that died left
        (see the module docstring)."""
        uri = directory if "://" in directory else os.path.abspath(directory)
        local = _local_path(uri) if is_local(uri) else None
        created = local is not None and not os.path.exists(local)
        staging = cls(
            uri=uri.rstrip("/"), name=STAGING_PREFIX + uuid.uuid4().hex, created=created
        )
        fs, path = staging._open()
        try:
            if local is not None and os.path.isdir(local):
                recover(local)
            fs.create_dir(f"{path}/{staging.name}", recursive=True)
        except OSError as error:
            raise QualitasError(
                f"cannot write results to {directory}: {error}"
            ) from None
        if local is not None:
            _lock(os.path.join(local, staging.name), staging.name)
        return staging

    def file(self, table_name: str) -> str:
        """Where to write the whole of one table, for :meth:`commit_files` (a folder
        on this machine only)."""
        return os.path.join(self._local(), self.name, f"{table_name}.parquet")

    def commit_files(self, tables: Sequence[str]) -> dict[str, str]:
        """Put the staged files of ``tables`` (written at :meth:`file`) in place of
        the output folder's, and remove any result table the run did not write (an
        icons table left from a chart that had icons). Ctrl+C and termination
        signals wait until the commit is over, so they find results old or new."""
        folder = self._local()
        staging = os.path.join(folder, self.name)
        plan = {
            "replace": list(tables),
            "remove": [t for t in TABLES if t not in tables],
        }
        with signals_held():
            marker = os.path.join(staging, COMMIT)
            with open(marker + ".tmp", "w", encoding="utf-8") as f:
                json.dump(plan, f)
            os.replace(marker + ".tmp", marker)
            _finish(folder, staging, plan)
        _unlock(self.name)
        return {t: os.path.join(self.uri, f"{t}.parquet") for t in tables}

    def _local(self) -> str:
        if not is_local(self.uri):
            raise QualitasError(
                f"the local engine writes to folders on this machine, not {self.uri}; "
                "use the Spark engine for a cloud store"
            )
        return _local_path(self.uri)

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
        root = f"{path}/{self.name}"
        folder = f"{root}/{table_name}"
        # Never make the staging folder itself: a task still running after the run
        # was stopped (Spark cancels tasks asynchronously) must fail here rather
        # than bring back a folder the driver has already cleared.
        if fs.get_file_info(root).type != pafs.FileType.Directory:
            raise QualitasError(f"the run writing to {self.uri} has stopped")
        fs.create_dir(folder, recursive=False)
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
        with signals_held():
            for table_name, schema in schemas.items():
                target = f"{path}/{table_name}.parquet"
                _remove(fs, target)
                fs.create_dir(target, recursive=True)
                for part in staged[table_name]:
                    fs.move(part, f"{target}/{part.rsplit('/', 1)[1]}")
                if not staged[table_name]:
                    pq.write_table(
                        schema.empty_table(),
                        f"{target}/part-00000.parquet",
                        filesystem=fs,
                    )
                paths[table_name] = f"{self.uri}/{table_name}.parquet"
            fs.delete_dir(f"{path}/{self.name}")
        _unlock(self.name)
        return paths

    def abort(self) -> None:
        """Remove the staging folder and everything in it (and the output folder if
        this run made it and it is empty). A commit already marked is finished
        instead: the results are complete."""
        if is_local(self.uri):
            folder = _local_path(self.uri)
            staging = os.path.join(folder, self.name)
            with signals_held():
                if os.path.exists(os.path.join(staging, COMMIT)):
                    _finish(folder, staging, _plan(staging))
                else:
                    shutil.rmtree(staging, ignore_errors=True)
                    if self.created:
                        with contextlib.suppress(OSError):
                            os.rmdir(folder)  # only if empty
            _unlock(self.name)
            return
        fs, path = self._open()
        _remove(fs, f"{path}/{self.name}")


def recover(folder: str) -> None:
    """Finish the marked commits, and remove the staging folders, of runs into
    ``folder`` that are no longer running."""
    for entry in os.scandir(folder):
        if not (entry.name.startswith(STAGING_PREFIX) and entry.is_dir()):
            continue
        lock = os.path.join(entry.path, LOCK)
        if fcntl is None or not os.path.exists(lock):
            continue  # not ours to judge: no lock says whether it is running
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a run still at work
            if os.path.exists(os.path.join(entry.path, COMMIT)):
                _finish(folder, entry.path, _plan(entry.path))
            else:
                shutil.rmtree(entry.path, ignore_errors=True)
        finally:
            os.close(fd)


def _finish(folder: str, staging: str, plan: dict[str, list[str]]) -> None:
    """Carry out a marked commit; safe to repeat after an interruption, since each
    step checks what is already done."""
    for table in plan["replace"]:
        staged = os.path.join(staging, f"{table}.parquet")
        target = os.path.join(folder, f"{table}.parquet")
        if os.path.exists(staged):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)  # a Spark run's folder of parts
            os.replace(staged, target)
    for table in plan["remove"]:
        target = os.path.join(folder, f"{table}.parquet")
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.remove(target)
    shutil.rmtree(staging, ignore_errors=True)


def _plan(staging: str) -> dict[str, list[str]]:
    with open(os.path.join(staging, COMMIT), encoding="utf-8") as f:
        plan: dict[str, list[str]] = json.load(f)
    return plan


def _local_path(uri: str) -> str:
    return uri.removeprefix("file://") if uri.startswith("file://") else uri


def _lock(staging: str, name: str) -> None:
    if fcntl is None:
        return
    fd = os.open(os.path.join(staging, LOCK), os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _HELD[name] = fd


def _unlock(name: str) -> None:
    fd = _HELD.pop(name, None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl+C and termination signals back until the block is over (they are
    delivered then). Only the main thread can; elsewhere the block just runs."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


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
