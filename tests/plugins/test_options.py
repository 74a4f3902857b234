"""Plugin options: an address that cannot work is refused, secrets never show in a repr."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.options import NetworkOptions
from custom_components.micboard.plugins.sennheiser.ssc2 import Ssc2Options
from custom_components.micboard.plugins.shure.systemapi import ShureSystemApiOptions


@pytest.mark.parametrize(("host", "port"), [("", 80), ("  ", 80), ("h", 0), ("h", 65536)])
def test_an_address_that_cannot_work_is_refused(host: str, port: int) -> None:
    with pytest.raises(ValueError, match=r"host|port"):
        NetworkOptions(host=host, port=port)


def test_secrets_stay_out_of_the_repr() -> None:
    ssc2 = Ssc2Options(host="h", password="Sec-ret-123!", fingerprint=bytes(32))  # noqa: S106
    api = ShureSystemApiOptions(host="h", api_key="key-abc", fingerprint=bytes(32))
    assert "Sec-ret-123!" not in repr(ssc2)
    assert "key-abc" not in repr(api)
    assert (ssc2.port, api.port) == (443, 10000)
