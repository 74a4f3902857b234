"""Sennheiser: EW-DX over SSCv2, SSC v1 (EW-DX Legacy, SpeechLine DW), ew G3/G4 over MCP."""
