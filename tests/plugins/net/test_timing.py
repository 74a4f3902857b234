"""Timeouts that follow the device's round trip, and answers a stalled loop must not lose."""

from __future__ import annotations

import asyncio
import time

from hypothesis import given, strategies as st
import pytest

from custom_components.micboard.plugins.net.timing import RoundTrip, wait_answer


def test_the_timeout_follows_the_measured_round_trip() -> None:
    rtt = RoundTrip(initial=2.0, floor=0.5, ceiling=30.0)
    assert rtt.timeout == 2.0
    for _ in range(20):
        rtt.sample(2.0)  # a device answering every request in 2 s
    assert 2.0 < rtt.timeout < 4.0
    for _ in range(50):
        rtt.sample(0.01)  # the network got fast again
    assert rtt.timeout == 0.5
    rtt.sample(-1.0)  # a clock step is no sample
    assert rtt.samples == 70


@pytest.mark.property
@given(st.lists(st.floats(min_value=0.0, max_value=1e6), max_size=50))
def test_the_timeout_stays_within_its_bounds(samples: list[float]) -> None:
    rtt = RoundTrip(initial=100.0, floor=0.2, ceiling=20.0)
    for seconds in samples:
        rtt.sample(seconds)
        assert 0.2 <= rtt.timeout <= 20.0


async def test_an_answer_in_time() -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.01, answer.set_result, 7)
    assert await wait_answer(answer, 1.0) == 7


async def test_no_answer_times_out_and_the_future_is_left_alone() -> None:
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError):
        await wait_answer(answer, 0.01)
    assert not answer.done()


async def test_an_answer_that_arrived_during_a_stall_counts() -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.02, answer.set_result, 42)  # the reply is due before the timeout...
    loop.call_soon(time.sleep, 0.3)  # ...but the loop is blocked past both
    assert await wait_answer(answer, 0.1) == 42


async def test_an_error_answer_is_still_a_timeout_when_it_came_late() -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.02, answer.set_exception, OSError("reset"))
    loop.call_soon(time.sleep, 0.3)
    with pytest.raises(TimeoutError):
        await wait_answer(answer, 0.1)
    assert isinstance(answer.exception(), OSError)
