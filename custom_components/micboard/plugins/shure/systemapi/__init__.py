"""The Shure System API server: REST inventory and WebSocket events, pinned HTTPS.

``plugin`` is the monitoring session, ``client`` the HTTP and WebSocket transport, ``model``
the pure mapping of its resources onto the normalized model.
"""

from .plugin import ShureSystemApiOptions, ShureSystemApiPlugin

__all__ = ["ShureSystemApiOptions", "ShureSystemApiPlugin"]
