"""The Demo rack: simulated receivers, so anyone can try the integration without hardware."""

from .plugin import DemoRackPlugin

__all__ = ["DemoRackPlugin"]
