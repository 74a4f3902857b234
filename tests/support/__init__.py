"""Helpers several test layers use (simulator set-ups, timings, polling)."""

from pathlib import Path

#: The repository's root folder.
REPO_ROOT = Path(__file__).resolve().parents[2]
