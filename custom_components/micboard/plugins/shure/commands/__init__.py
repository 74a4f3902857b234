"""Shure receivers over their own command strings (ULX-D, QLX-D, SLX-D, AD, UHF-R, PSM1000).

``plugin`` runs one connection; ``identify`` finds out which family answers; ``dialects`` and
``values`` hold each family's parameters, units and sentinels; ``framing`` splits the byte
stream into messages; ``transport`` is the TCP stream or UHF-R's UDP datagrams.
"""

from .plugin import ShureCommandsOptions, ShureCommandsPlugin

__all__ = ["ShureCommandsOptions", "ShureCommandsPlugin"]
