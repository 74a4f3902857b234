"""Every language file has every key of the English one, with the same placeholders.

Home Assistant merges English under a missing key, so an incomplete translation still works;
but a placeholder that differs makes Home Assistant drop the string, and a key only in a
translation is a typo. Adding a language is adding one file that passes this test.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from tests.support import REPO_ROOT

TRANSLATIONS = REPO_ROOT / "custom_components" / "micboard" / "translations"
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _load(language: str) -> dict[str, str]:
    return _flatten(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_there_is_a_translation() -> None:
    assert "de" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_is_complete(language: str) -> None:
    english = _load("en")
    other = _load(language)
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []
    for key, text in english.items():
        assert _placeholders(other[key]) == _placeholders(text), key
        assert other[key].strip(), key
