"""Reading PDFs back as a person would see them: pages drawn as PNG by pdftoppm and
their text read by pdftotext (Debian's poppler-utils).

Without poppler the tests that need it are skipped with the reason, except when
CI is "true": then they fail, so CI cannot pass without looking at the pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest


def require_poppler() -> None:
    missing = [t for t in ("pdftoppm", "pdftotext", "pdfinfo") if not shutil.which(t)]
    if not missing:
        return
    reason = f"{', '.join(missing)} not found (apt-get install poppler-utils)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true, so the PDF tests must run", pytrace=False)
    pytest.skip(reason)


def page_count(pdf: Path) -> int:
    out = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def page_text(pdf: Path, page: int, *, layout: bool = True) -> str:
    """One page's text; ``layout=False`` reads text blocks in order rather than
    side by side (columns of prose come out whole)."""
    mode = ["-layout"] if layout else []
    out = subprocess.run(
        ["pdftotext", *mode, "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def page_images(pdf: Path, folder: Path, *, dpi: int = 40) -> list[np.ndarray]:
    """Every page as an RGB array (pdftoppm, then Pillow)."""
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")],
        check=True,
    )
    files = sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [np.asarray(Image.open(f).convert("RGB")) for f in files]


def coloured_share(
    image: np.ndarray, colour: tuple[int, int, int], tol: int = 40
) -> float:
    """The share of pixels close to ``colour`` (e.g. the orange of special cause concern)."""
    distance = np.abs(image.astype(int) - np.array(colour)).sum(axis=2)
    return float((distance <= tol).mean())


def ink_share(image: np.ndarray) -> float:
    """The share of pixels that are not white: 0 for a blank page."""
    return float((image.min(axis=2) < 235).mean())
