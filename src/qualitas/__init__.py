"""qualitas: systematic quality improvement for NHS organisations.

The statistics engine lives in :mod:`qualitas.spc`; start with :func:`qualitas.spc.xmr`.
"""

from pathlib import Path

__version__ = "0.1.0"

# The public data the demonstrations load. In the repository it is a link to data/;
# a built wheel carries the files themselves, so an installed qualitas finds them too.
DATA_DIR = Path(__file__).resolve().parent / "demo_data"
