"""Connection health: rejected input is counted, and logged once per connection, escaped."""

from __future__ import annotations

import logging

import pytest

from custom_components.micboard.plugins.health import ConnectionHealth, excerpt


def test_excerpts_are_short_and_escaped() -> None:
    assert excerpt(b"< REP \x1b[2J >") == "< REP \\x1b[2J >"
    assert excerpt("ok") == "ok"
    long = excerpt(b"[" * 200_000)
    assert long == "[" * 80 + "…"


def test_rejections_are_counted_and_logged_once_per_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.micboard.plugins.health")
    health = ConnectionHealth()
    health.connecting()
    for _ in range(3):
        health.rejected("10.0.0.1", "a bad line", b"\x00garbage")
    assert health.messages_rejected == 3
    assert len(caplog.records) == 1
    assert "\\x00garbage" in caplog.text
    health.connecting()
    health.rejected("10.0.0.1", "a bad line", b"again")
    assert len(caplog.records) == 2
    assert health.as_dict()["messages_rejected"] == 4
