"""Sennheiser EW-DX over SSCv2: HTTPS with Basic auth, Server-Sent Events, pinned certificate.

``plugin`` is the monitoring session, ``client`` the HTTPS transport, ``model`` the pure mapping
of SSCv2 resources onto the normalized model.
"""

from .plugin import SennheiserSsc2Plugin, Ssc2Options

__all__ = ["SennheiserSsc2Plugin", "Ssc2Options"]
