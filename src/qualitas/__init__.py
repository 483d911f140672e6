"""qualitas: systematic quality improvement for NHS organisations.

The statistics engine lives in :mod:`qualitas.spc`; start with :func:`qualitas.spc.xmr`.
"""

__version__ = "0.1.0"
