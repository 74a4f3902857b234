"""The ``python -m simulators`` command line."""

from __future__ import annotations

import pytest

from simulators.registry import build_parser, kinds


def test_every_kind_parses_host_and_port() -> None:
    parser = build_parser()
    for name in kinds():
        args = parser.parse_args([name, "--host", "127.0.0.1", "--port", "0"])
        assert args.kind == name
        assert args.host == "127.0.0.1"


def test_a_kind_is_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])
