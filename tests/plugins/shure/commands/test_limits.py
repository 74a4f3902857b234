"""Family ranges at the model boundary: what a Shure device cannot report stays unknown."""

from __future__ import annotations

import pytest

from custom_components.micboard.plugins.shure.commands.framing import tokenize
from custom_components.micboard.plugins.shure.commands.identify import ProbeReplies, decide
from custom_components.micboard.plugins.shure.commands.limits import FAMILY_LIMITS, SHURE_LIMITS
from custom_components.micboard.plugins.shure.commands.plugin import ShureCommandsPlugin
from tests.plugins.shure.commands.primed import primed_plugin


def apply(family: str, *lines: str) -> ShureCommandsPlugin:
    plugin = primed_plugin(family)
    for line in lines:
        plugin._apply_message(tokenize(line))
    return plugin


@pytest.mark.parametrize(
    ("family", "line"),
    [
        ("ulxd", "REP 1 FREQUENCY 5"),  # 0.005 MHz
        ("ad", "REP 1 FREQUENCY 5207101.5"),  # a dotted form, absurd
        ("slxd", "REP 1 FREQUENCY 9999999"),  # 9.999 GHz
        ("psm1000", "REPORT 1 FREQUENCY 0.056"),
    ],
)
def test_absurd_frequencies_are_unknown_and_counted(family: str, line: str) -> None:
    plugin = apply(family, line.replace(line.rsplit(maxsplit=1)[-1], "0578350"))
    assert plugin.receivers[next(iter(plugin.receivers))].channels[1].frequency_mhz == 578.35
    plugin._apply_message(tokenize(line))
    channel = next(iter(plugin.receivers.values())).channels[1]
    assert channel.frequency_mhz is None
    assert plugin.health.values_rejected == 1


@pytest.mark.parametrize(
    ("family", "sample", "field"),
    [
        ("ad", "SAMPLE 1 ALL 005 031 121 102 BB 31 086 31 065", "audio_peak"),
        ("ad", "SAMPLE 1 ALL 005 031 102 255 BB 31 086 31 065", "audio_level"),
        ("ad", "SAMPLE 1 ALL 005 031 102 102 BB 31 200 31 130", "rf_level"),
        ("slxd", "SAMPLE 1 ALL 135 102 086", "audio_peak"),
        ("slxd", "SAMPLE 1 ALL 102 102 255", "rf_level"),
    ],
)
def test_levels_above_raw_120_are_unknown_and_counted(family: str, sample: str, field: str) -> None:
    plugin = apply(family, sample)
    channel = next(iter(plugin.receivers.values())).channels[1]
    assert getattr(channel, field) is None
    assert plugin.health.values_rejected >= 1


def test_levels_within_raw_120_are_kept() -> None:
    plugin = apply("slxd", "SAMPLE 1 ALL 120 000 086")
    channel = next(iter(plugin.receivers.values())).channels[1]
    assert (channel.audio_peak, channel.audio_level, channel.rf_level) == (0.0, -120.0, -34.0)
    assert plugin.health.values_rejected == 0


def test_the_plugin_narrows_its_gate_to_the_family() -> None:
    assert primed_plugin("ad").gate.limits == FAMILY_LIMITS["ad"]
    assert ShureCommandsPlugin.limits == SHURE_LIMITS
    assert FAMILY_LIMITS["ulxd"].rf_dbm == (-128.0, -13.0)


def test_names_are_cleaned_on_the_message_path() -> None:
    plugin = apply(
        "ulxd",
        "REP 1 CHAN_NAME {\x1b[31mLead\x00 Vox" + "x" * 300 + "}",
        "REP DEVICE_ID {RX\x07-1}",
    )
    receiver = next(iter(plugin.receivers.values()))
    name = receiver.channels[1].name
    assert name is not None
    assert name.startswith("[31mLead Vox")
    assert len(name) == 64
    assert receiver.name == "RX-1"


def test_identity_from_a_name_with_control_characters_is_clean() -> None:
    replies = ProbeReplies()
    for line in ("REP DEVICE_ID {RACK\x1b-1  }", "REP MODEL {AD4D\x00}", "REP 1 CHAN_NAME {x}"):
        replies.add(tokenize(line))
    identity = decide(replies, "127.0.0.1", "tcp")
    assert identity.device_id == "RACK-1"
    assert identity.unique_id == "shure-RACK-1"
    assert identity.model == "AD4D"
