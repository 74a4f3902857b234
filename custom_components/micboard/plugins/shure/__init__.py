"""Shure: the receivers' own command strings, the System API middleware, SLP discovery."""
