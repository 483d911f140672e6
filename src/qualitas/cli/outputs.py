"""A command's output files, written all or none.

`qualitas spc --out points.csv --summary summary.csv --chart chart.html` writes three
files. Each is first written under a temporary name beside its final one; only when
every file has been written are they renamed into place, and a rename that fails puts
back the files it replaced. So a failure part way through (a folder that cannot be
written, a full disk, Ctrl+C) leaves the earlier files as they were and no half-written
file under a final name.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with all_or_nothing() as files:
...     _ = files.path(folder / "points.csv").write_text("a,b\\n")
...     (folder / "points.csv").exists()
False
>>> (folder / "points.csv").read_text()
'a,b\\n'
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from qualitas.engines.folders import signals_held
from qualitas.errors import QualitasError


class Outputs:
    """The files of one command: :meth:`path` gives the name to write each one
    under; :func:`all_or_nothing` puts them in place or throws them away."""

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # final path -> temporary path

    def path(self, final: Path) -> Path:
        """Where to write what belongs at ``final``: a hidden name in the same folder
        (so the rename is atomic) with the same suffix (which says the format)."""
        final = Path(final)
        if final.resolve() in {f.resolve() for f in self._staged}:
            raise QualitasError(f"{final} is named for two outputs; give each its own")
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(
            f".{final.stem}.{uuid.uuid4().hex[:12]}.partial{final.suffix}"
        )
        self._staged[final] = temporary
        return temporary

    def commit(self) -> None:
        """Rename every written file into place; on failure, undo the renames."""
        done: list[tuple[Path, Path | None]] = []
        with signals_held():
            try:
                for final, temporary in self._staged.items():
                    backup = None
                    if final.exists() and not final.is_dir():
                        backup = temporary.with_name(temporary.name + ".old")
                        os.replace(final, backup)
                    done.append((final, backup))
                    os.replace(temporary, final)
            except BaseException:
                for final, backup in reversed(done):
                    if backup is not None:
                        os.replace(backup, final)
                    elif final.is_file():
                        final.unlink()
                self.discard()
                raise
            for _, backup in done:
                if backup is not None:
                    backup.unlink(missing_ok=True)

    def discard(self) -> None:
        for temporary in self._staged.values():
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[Outputs]:
    """Write a command's files through the :class:`Outputs` this yields; they appear
    together when the block ends, or not at all if it fails."""
    outputs = Outputs()
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise
    outputs.commit()
