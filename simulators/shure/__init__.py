"""Simulated Shure devices.

Receivers on command strings (``commands``, their state in ``commands_model``), SLP
announcements (``slp``) and the System API server (``systemapi``, its state in
``systemapi_state``).
"""
