"""The Demo rack: simulated receivers, so anyone can try the integration without hardware."""

from .plugin import DemoOptions, DemoRackPlugin

__all__ = ["DemoOptions", "DemoRackPlugin"]
