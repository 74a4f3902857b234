"""The ``python -m simulators`` command line."""

from __future__ import annotations

import pytest

from simulators.registry import build_parser, kinds

#: Options some kinds require besides host and port.
REQUIRED = {"sennheiser": ["--protocol", "ssc1"], "shure": ["--family", "ulxd"]}


def test_every_kind_parses_host_and_port() -> None:
    parser = build_parser()
    assert kinds()
    for name in kinds():
        args = parser.parse_args(
            [name, "--host", "127.0.0.1", "--port", "0", *REQUIRED.get(name, [])]
        )
        assert args.kind == name
        assert args.host == "127.0.0.1"


def test_a_kind_is_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])
