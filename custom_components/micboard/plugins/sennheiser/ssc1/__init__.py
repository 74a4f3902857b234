"""Sennheiser SSC v1 (JSON over UDP 45): EW-DX in Legacy mode or older firmware, SpeechLine DW.

``plugin`` is the monitoring session, ``client`` matches answers to questions, ``codec`` encodes
and decodes the JSON address trees, ``model`` maps each product family's values.
"""

from .plugin import SennheiserSsc1Plugin, Ssc1Options

__all__ = ["SennheiserSsc1Plugin", "Ssc1Options"]
