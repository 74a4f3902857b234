"""The runtime estimator: exact figures for known readings, and properties for any readings."""

from __future__ import annotations

from collections.abc import Sequence
import math

from hypothesis import assume, given, strategies as st
import pytest

from custom_components.micboard.plugins.model import Feature
from custom_components.micboard.plugins.runtime_estimate import (
    SOURCE_MAXIMUM,
    BatteryLife,
    Confidence,
    ReadingSource,
    RuntimeEstimate,
    RuntimeEstimator,
    estimate_source,
    needs_estimate,
)

BARS = ReadingSource.BARS
PERCENT = ReadingSource.PERCENT
MINUTE = 60.0
#: The geometric middle of the default life bounds (1 h and 48 h): the rate nothing measured.
PRIOR_FULL_MINUTES = math.sqrt(60.0 * 2880.0)


def _feed(estimator: RuntimeEstimator, readings: Sequence[tuple[float, int | None]]) -> None:
    """Readings as (on-air minute, level or None for off)."""
    for minute, level in readings:
        estimator.observe(minute * MINUTE, level)


def _at(estimator: RuntimeEstimator, minute: float) -> RuntimeEstimate:
    estimate = estimator.estimate(minute * MINUTE)
    assert estimate is not None
    return estimate


# -- which channels, which reading ----------------------------------------------------------


def test_needs_estimate_only_without_runtime_but_with_a_level() -> None:
    assert needs_estimate({Feature.BATTERY_BARS})
    assert needs_estimate({Feature.BATTERY_PERCENT, Feature.TRANSMITTER})
    assert not needs_estimate({Feature.BATTERY_BARS, Feature.BATTERY_RUNTIME})
    assert not needs_estimate({Feature.TRANSMITTER})
    assert estimate_source({Feature.BATTERY_BARS, Feature.BATTERY_PERCENT}) is PERCENT
    assert estimate_source({Feature.BATTERY_BARS}) is BARS


def test_battery_life_refuses_impossible_bounds() -> None:
    with pytest.raises(ValueError, match="shortest"):
        BatteryLife(shortest_minutes=100.0, longest_minutes=100.0)
    with pytest.raises(ValueError, match="shortest"):
        BatteryLife(shortest_minutes=0.0)


# -- exact figures --------------------------------------------------------------------------


def test_nothing_before_the_first_reading() -> None:
    estimator = RuntimeEstimator(BARS)
    assert estimator.estimate(0.0) is None
    estimator.observe(0.0, None)
    assert estimator.estimate(10.0) is None


def test_rate_from_the_times_of_step_changes() -> None:
    """5 → 4 at 30 min, → 3 at 60 min: a bar per 30 min, 3 bars = 90 minutes left."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3)])
    estimate = _at(estimator, 60)
    assert estimate.remaining_minutes == pytest.approx(90.0)
    assert estimate.confidence is Confidence.MEDIUM
    assert estimate.step_changes == 2
    assert estimate.learned_minutes == pytest.approx(30.0)
    assert estimate.full_pack_minutes == pytest.approx(150.0)
    assert estimate.rate_measured
    assert estimate.source is BARS
    # Between changes the estimate runs down with on-air time.
    assert _at(estimator, 70).remaining_minutes == pytest.approx(80.0)
    # A third change spanning 40 % of the pack: high confidence.
    estimator.observe(90 * MINUTE, 2)
    estimate = _at(estimator, 90)
    assert estimate.remaining_minutes == pytest.approx(60.0)
    assert estimate.confidence is Confidence.HIGH
    assert estimate.learned_minutes == pytest.approx(60.0)


def test_least_squares_through_uneven_changes() -> None:
    """Changes at 30, 50, 90 min: time on level slope is 150 min per pack, anchored at 90."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (50, 3), (90, 2)])
    estimate = _at(estimator, 90)
    assert estimate.full_pack_minutes == pytest.approx(150.0)
    assert estimate.remaining_minutes == pytest.approx(0.4 * 150.0)


def test_waiting_longer_than_the_rate_allows_lowers_it() -> None:
    """No change 40 min after 3 bars although the rate said 30: at most a bar per 40 min."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3)])
    estimate = _at(estimator, 100)
    assert estimate.full_pack_minutes == pytest.approx(200.0)
    assert estimate.remaining_minutes == pytest.approx(0.4 * 200.0)
    assert estimate.confidence is Confidence.MEDIUM


def test_first_reading_alone_gives_the_physical_middle() -> None:
    estimator = RuntimeEstimator(BARS)
    estimator.observe(0.0, 5)
    estimate = _at(estimator, 0)
    assert estimate.confidence is Confidence.LOW
    assert not estimate.rate_measured
    assert estimate.step_changes == 0
    assert estimate.full_pack_minutes == pytest.approx(PRIOR_FULL_MINUTES)
    assert estimate.remaining_minutes == pytest.approx(0.9 * PRIOR_FULL_MINUTES)
    # 100 minutes still at 5 bars: the rate is at most a bar per 100 minutes.
    estimate = _at(estimator, 100)
    fastest, slowest = 0.2 / 100, 1 / 2880
    rate = math.sqrt(fastest * slowest)
    assert estimate.full_pack_minutes == pytest.approx(1 / rate)
    assert estimate.remaining_minutes == pytest.approx((0.9 - rate * 100) / rate)


def test_one_change_bounds_the_rate_from_the_first_reading() -> None:
    """5 bars at 0, 4 at 100 min: at most one bar per 100 minutes."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (100, 4)])
    estimate = _at(estimator, 100)
    rate = math.sqrt(0.2 / 100 / 2880)
    assert estimate.confidence is Confidence.LOW
    assert estimate.step_changes == 1
    assert estimate.remaining_minutes == pytest.approx(0.8 / rate)


def test_rate_beyond_physics_is_bounded_and_distrusted() -> None:
    """Two bars lost in two minutes (a sagging cell) cannot be a 10-minute pack."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (1, 4), (2, 3)])
    estimate = _at(estimator, 2)
    assert estimate.full_pack_minutes == pytest.approx(60.0)
    assert estimate.remaining_minutes == pytest.approx(36.0)
    assert estimate.confidence is Confidence.LOW


def test_changes_at_the_same_on_air_minute_measure_nothing() -> None:
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (10, 4), (10, 3)])
    estimate = _at(estimator, 10)
    assert estimate.full_pack_minutes == pytest.approx(60.0)
    assert estimate.confidence is Confidence.LOW


def test_percent_readings() -> None:
    """1 % every 2 minutes from 80 %: high confidence after 11 changes (10 % of the pack)."""
    estimator = RuntimeEstimator(PERCENT)
    _feed(estimator, [(2 * k, 80 - k) for k in range(11)])
    estimate = _at(estimator, 20)
    assert estimate.confidence is Confidence.MEDIUM
    assert estimate.remaining_minutes == pytest.approx(140.0)
    estimator.observe(22 * MINUTE, 69)
    estimate = _at(estimator, 22)
    assert estimate.confidence is Confidence.HIGH
    assert estimate.step_changes == 11
    assert estimate.remaining_minutes == pytest.approx(138.0)


def test_flat_pack_has_no_time_left() -> None:
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 2), (30, 1), (60, 0)])
    assert _at(estimator, 60).remaining_minutes == 0.0
    assert _at(estimator, 90).remaining_minutes == 0.0


def test_off_time_is_not_learnt() -> None:
    """Off from 45 to 75 minutes: the next change at 105 is 75 on-air minutes in."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (45, None)])
    while_off = _at(estimator, 45).remaining_minutes
    assert _at(estimator, 70).remaining_minutes == while_off  # the clock stopped
    _feed(estimator, [(75, 4), (105, 3)])
    estimate = _at(estimator, 105)
    assert estimate.learned_minutes == pytest.approx(45.0)
    assert estimate.remaining_minutes == pytest.approx(0.6 * 225.0)
    assert estimate.confidence is Confidence.MEDIUM


def test_long_pause_keeps_the_rate_but_not_the_anchor() -> None:
    """Off for over an hour: maybe another pack at the same level; the rate is carried."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3), (70, None), (200, 3)])
    estimate = _at(estimator, 200)
    assert estimate.confidence is Confidence.MEDIUM
    assert estimate.rate_measured
    assert estimate.step_changes == 0
    assert estimate.full_pack_minutes == pytest.approx(150.0)
    assert estimate.remaining_minutes == pytest.approx(0.5 * 150.0)  # middle of the 3rd bar
    # The next change anchors it again.
    estimator.observe(215 * MINUTE, 2)
    assert _at(estimator, 215).remaining_minutes == pytest.approx(0.4 * 150.0)


def test_interruption_keeps_the_rate_but_not_the_anchor() -> None:
    """The receiver went offline for a while: whatever drained then was not seen."""
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3)])
    estimator.interrupt(65 * MINUTE)
    estimator.observe(120 * MINUTE, 2)
    estimate = _at(estimator, 120)
    assert estimate.step_changes == 0
    assert estimate.confidence is Confidence.MEDIUM
    assert estimate.remaining_minutes == pytest.approx(0.3 * 150.0)


def test_interruption_without_a_change_loses_nothing() -> None:
    """Back at the same step: no change happened unseen, the anchor and rate hold."""
    plain = RuntimeEstimator(BARS)
    gap = RuntimeEstimator(BARS)
    _feed(plain, [(0, 5), (30, 4), (60, 3), (90, 2)])
    _feed(gap, [(0, 5), (30, 4), (60, 3)])
    gap.interrupt(65 * MINUTE)
    _feed(gap, [(70, 3), (90, 2)])
    assert _at(gap, 95) == _at(plain, 95)


def test_a_fresh_pack_resets_learning() -> None:
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3), (90, 2), (95, None), (100, 5)])
    estimate = _at(estimator, 100)
    assert estimate.confidence is Confidence.LOW
    assert estimate.step_changes == 0
    assert estimate.full_pack_minutes == pytest.approx(PRIOR_FULL_MINUTES)
    # Two bars up without reaching full is a fresh pack too; one bar up is not.
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 4), (30, 3), (60, 2), (61, 4)])
    assert _at(estimator, 61).step_changes == 0


def test_a_flicker_up_is_ignored() -> None:
    """3 → 4 → 3 at a bar boundary: the first change down stays the one that counts."""
    plain = RuntimeEstimator(BARS)
    flicker = RuntimeEstimator(BARS)
    _feed(plain, [(0, 5), (30, 4), (60, 3), (90, 2)])
    _feed(flicker, [(0, 5), (30, 4), (60, 3), (61, 4), (62, 3), (90, 2)])
    assert _at(flicker, 95) == _at(plain, 95)


def test_time_never_runs_backwards() -> None:
    estimator = RuntimeEstimator(BARS)
    _feed(estimator, [(0, 5), (30, 4), (60, 3)])
    before = _at(estimator, 60)
    estimator.observe(50 * MINUTE, 3)  # a clock glitch: taken as "now" again
    assert _at(estimator, 40) == before


# -- properties -----------------------------------------------------------------------------

sources = st.sampled_from(list(ReadingSource))


@pytest.mark.property
@given(
    source=sources,
    full_minutes=st.floats(min_value=61.0, max_value=2870.0),
    start_charge=st.floats(min_value=0.3, max_value=1.0),
    fraction=st.floats(min_value=0.0, max_value=0.999),
)
def test_exact_step_times_give_the_exact_runtime(
    source: ReadingSource, full_minutes: float, start_charge: float, fraction: float
) -> None:
    """A linear drain observed at its step changes is estimated exactly after two changes.

    Readings round up, as ``status.bars_from_percent`` does; between two changes the
    estimate equals the truth as well (fraction of the way to the next change).
    """
    maximum = SOURCE_MAXIMUM[source]
    rate = 1.0 / full_minutes
    estimator = RuntimeEstimator(source)
    first = math.ceil(start_charge * maximum - 1e-9)
    estimator.observe(0.0, first)
    changes = 0
    for level in range(first - 1, 0, -1):
        minute = (start_charge - level / maximum) / rate
        estimator.observe(minute * MINUTE, level)
        changes += 1
        if changes < 2:
            continue
        later = minute + fraction / maximum / rate
        estimate = _at(estimator, later)
        truth = (start_charge - rate * later) / rate
        assert estimate.remaining_minutes == pytest.approx(truth, rel=1e-6, abs=1e-6)
        assert estimate.confidence is not Confidence.LOW


events = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=500.0),  # minutes since the previous event
        st.one_of(
            st.integers(min_value=-5, max_value=105),  # a reading (clamped to the scale)
            st.none(),  # transmitter off
            st.just("interrupt"),
        ),
    ),
    max_size=40,
)


@pytest.mark.property
@given(source=sources, sequence=events, later=st.floats(min_value=0.0, max_value=600.0))
def test_estimates_stay_within_physics(
    source: ReadingSource, sequence: list[tuple[float, int | str | None]], later: float
) -> None:
    """Whatever the readings, the estimate is the charge of the current step over a rate the
    physical bounds allow: between (level - 1 step) x shortest life and level x longest life.
    """
    maximum = SOURCE_MAXIMUM[source]
    life = BatteryLife()
    estimator = RuntimeEstimator(source)
    minute = 0.0
    for gap, event in sequence:
        minute += gap
        if event == "interrupt":
            estimator.interrupt(minute * MINUTE)
        else:
            estimator.observe(minute * MINUTE, event if event is None else int(event))
        for at in (minute, minute + later):
            estimate = estimator.estimate(at * MINUTE)
            if estimate is None:
                continue
            pack = estimator._pack
            assert pack is not None
            floor = pack.floor
            assert math.isfinite(estimate.remaining_minutes)
            low = max(0.0, floor - 1 / maximum) * life.shortest_minutes
            high = floor * life.longest_minutes
            assert low - 1e-6 <= estimate.remaining_minutes <= high + 1e-6
            assert life.shortest_minutes - 1e-6 <= estimate.full_pack_minutes
            assert estimate.full_pack_minutes <= life.longest_minutes + 1e-6
            if estimate.confidence is Confidence.HIGH:
                assert estimate.step_changes >= 3


def _descending(source: ReadingSource) -> st.SearchStrategy[list[tuple[float, int]]]:
    """Readings of one pack: (minutes since the previous one, level), never rising."""
    maximum = SOURCE_MAXIMUM[source]
    return st.lists(
        st.tuples(st.floats(min_value=0.1, max_value=200.0), st.integers(0, 3)),
        min_size=1,
        max_size=25,
    ).map(lambda steps: _levels(steps, maximum))


def _levels(steps: list[tuple[float, int]], maximum: int) -> list[tuple[float, int]]:
    level = maximum - 1
    readings = []
    for gap, drop in steps:
        level = max(0, level - drop)
        readings.append((gap, level))
    return readings


def _absolute(readings: Sequence[tuple[float, int]]) -> list[tuple[float, int]]:
    minute = 0.0
    result = []
    for gap, level in readings:
        minute += gap
        result.append((minute, level))
    return result


@pytest.mark.property
@given(data=st.data(), source=sources)
def test_a_short_off_changes_nothing_but_the_clock(
    data: st.DataObject, source: ReadingSource
) -> None:
    """Switching off for less than the longest pause, anywhere, only shifts time."""
    readings = data.draw(_descending(source))
    where = data.draw(st.integers(min_value=1, max_value=len(readings)))
    pause = data.draw(st.floats(min_value=0.0, max_value=59.0))
    plain = RuntimeEstimator(source)
    paused = RuntimeEstimator(source)
    timeline = _absolute(readings)
    _feed(plain, timeline)
    off_at = timeline[where - 1][0]
    shifted: list[tuple[float, int | None]] = [
        *timeline[:where],
        (off_at, None),
        (off_at + pause, timeline[where - 1][1]),  # back on, same reading
        *[(minute + pause, level) for minute, level in timeline[where:]],
    ]
    _feed(paused, shifted)
    end = timeline[-1][0] + 5
    expected, actual = _at(plain, end), _at(paused, end + pause)
    assert actual.remaining_minutes == pytest.approx(expected.remaining_minutes, rel=1e-6)
    assert (actual.confidence, actual.step_changes) == (expected.confidence, expected.step_changes)


@pytest.mark.property
@given(data=st.data(), source=sources)
def test_a_flicker_of_one_step_changes_nothing(data: st.DataObject, source: ReadingSource) -> None:
    readings = _absolute(list(data.draw(_descending(source))))
    where = data.draw(st.integers(min_value=0, max_value=len(readings) - 1))
    minute, level = readings[where]
    assume(level + 1 < SOURCE_MAXIMUM[source])  # a rise to full is a fresh pack
    plain = RuntimeEstimator(source)
    flicker = RuntimeEstimator(source)
    _feed(plain, readings)
    _feed(flicker, [*readings[: where + 1], (minute, level + 1), *readings[where:]])
    end = readings[-1][0] + 5
    assert _at(flicker, end) == _at(plain, end)


@pytest.mark.property
@given(data=st.data(), source=sources)
def test_a_fresh_pack_forgets_the_old_one(data: st.DataObject, source: ReadingSource) -> None:
    """After a swap to a full pack the estimate is a new estimator's, whatever came before."""
    before = _absolute(list(data.draw(_descending(source))))
    after = list(data.draw(_descending(source)))
    swap = before[-1][0] + data.draw(st.floats(min_value=0.0, max_value=500.0))
    full = SOURCE_MAXIMUM[source]
    tail = [(swap, full), *[(swap + m, level) for m, level in _absolute(after)]]
    used = RuntimeEstimator(source)
    fresh = RuntimeEstimator(source)
    _feed(used, [*before, (before[-1][0], None), *tail])
    _feed(fresh, tail)
    end = tail[-1][0] + 5
    expected, actual = _at(fresh, end), _at(used, end)
    assert actual.remaining_minutes == pytest.approx(expected.remaining_minutes, rel=1e-6)
    assert (actual.confidence, actual.step_changes) == (expected.confidence, expected.step_changes)
