"""Sennheiser ew G3/G4 (EM 300-500) over the Media Control Protocol: ASCII on UDP 53212.

``plugin`` is the monitoring session, ``codec`` the line format and its mapping to the model.
"""

from .plugin import McpOptions, SennheiserMcpPlugin

__all__ = ["McpOptions", "SennheiserMcpPlugin"]
