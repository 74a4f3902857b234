"""Who an entry wakes, and for what: listener contexts, structure listeners and observers.

Entities register with a context (receiver, channel, kinds) so that one message wakes only
the entities it concerns (home_connect's pattern), not every entity of the entry. Platforms
listen for structure changes to add entities; the dashboard hub and the device triggers
observe the model itself. This module only keeps the lists and calls them; *when* to call
them is the delivery's business (``delivery.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final, Protocol

from homeassistant.core import CALLBACK_TYPE, callback

from .plugins.model import ModelUpdate

if TYPE_CHECKING:
    from .coordinator import MicboardCoordinator

#: Listener kinds. Status listeners wake at once, meter listeners once per meter interval,
#: health listeners (connection state, counters) with either.
KIND_STATUS: Final = "status"
KIND_METER: Final = "meter"
KIND_HEALTH: Final = "health"

type ChannelKey = tuple[str, int | None]
#: Context an entity registers with: receiver id, channel (None: receiver level), kinds.
type ListenerContext = tuple[str, int | None, frozenset[str]]


class ModelObserver(Protocol):
    """Follows the live model without entities (the dashboard websocket, device triggers).

    See ``live.py``. Observers are only attached while they have someone to serve, so the
    push path costs one empty-list test when nobody watches.
    """

    def model_updated(self, coordinator: MicboardCoordinator, update: ModelUpdate) -> None:
        """A plugin changed the model (per message, before any coalescing)."""

    def model_notified(
        self, coordinator: MicboardCoordinator, receiver_id: str, channel: int | None, kind: str
    ) -> None:
        """The coordinator woke the listeners of (receiver, channel, kind), status derived."""


class Listeners:
    """The listeners of one entry, indexed so that a wake-up is a dict lookup."""

    def __init__(self, coordinator: MicboardCoordinator) -> None:
        """Empty lists; ``coordinator`` is what observers are told the news came from."""
        self._coordinator = coordinator
        self._by_context: dict[tuple[str, int | None, str], list[CALLBACK_TYPE]] = {}
        self._structure: list[Callable[[], None]] = []
        #: Read on the hot path (an empty list costs one test per message).
        self.observers: list[ModelObserver] = []

    def index(self, update_callback: CALLBACK_TYPE, context: ListenerContext) -> CALLBACK_TYPE:
        """Index ``update_callback`` under each (receiver, channel, kind) of ``context``."""
        receiver_id, channel, kinds = context
        keys = [(receiver_id, channel, kind) for kind in kinds]
        for key in keys:
            self._by_context.setdefault(key, []).append(update_callback)

        @callback
        def remove() -> None:
            for key in keys:
                listeners = self._by_context.get(key)
                if listeners is not None and update_callback in listeners:
                    listeners.remove(update_callback)

        return remove

    def add_structure(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when receivers, channels or their features change."""
        self._structure.append(listener)
        return lambda: self._structure.remove(listener)

    def add_observer(self, observer: ModelObserver) -> CALLBACK_TYPE:
        """Let ``observer`` follow every model update and wake-up."""
        self.observers.append(observer)
        return lambda: self.observers.remove(observer)

    def model_updated(self, update: ModelUpdate) -> None:
        """Tell the observers about one plugin update (before any coalescing)."""
        for observer in self.observers:
            observer.model_updated(self._coordinator, update)

    def notify(self, receiver_id: str, channel: int | None, kind: str) -> None:
        """Wake the listeners of (receiver, channel, kind), then the observers."""
        for listener in self._by_context.get((receiver_id, channel, kind), ()):
            listener()
        if self.observers:
            for observer in self.observers:
                observer.model_notified(self._coordinator, receiver_id, channel, kind)

    def notify_health(self, receiver_ids: Iterable[str]) -> None:
        """Wake the connection-health listeners of these receivers."""
        for receiver_id in receiver_ids:
            self.notify(receiver_id, None, KIND_HEALTH)

    def structure_changed(self) -> None:
        """Tell the structure listeners (a copy: a listener may unsubscribe)."""
        for listener in list(self._structure):
            listener()
