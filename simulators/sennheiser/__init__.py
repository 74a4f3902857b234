"""Simulated Sennheiser receivers.

EW-DX over SSCv2 (``ssc2``, its state in ``ssc2_state``), SSC v1 (``ssc1``) and ew G3/G4 over
MCP (``mcp``); ``cli`` is their one command-line kind.
"""
