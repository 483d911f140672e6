"""Peak memory of the running process, for benchmarks that run each size in a child.

`ru_maxrss` is carried across `exec` on Linux, so a child started by a large parent
reports the parent's peak; the kernel's VmHWM starts afresh with the new program.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_gb() -> float:
    """This process's peak resident memory in GB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
