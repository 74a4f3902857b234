"""Plain helpers of the library and simulator layers (simulator set-ups, timings, polling).

Nothing here imports Home Assistant, the integration's Home Assistant side or ``tests.integration``
(tests/test_layers.py checks it): tests/plugins and tests/simulators use these modules. The
helpers of the Home Assistant layer are in tests/integration/common.py and entries.py.
"""

from pathlib import Path

#: The repository's root folder.
REPO_ROOT = Path(__file__).resolve().parents[2]
