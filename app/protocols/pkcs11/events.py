"""The card watcher's own state, as an event (a light module: the status bar imports it at start).

The card's presence travels as ``app.services.auth_events.CardInserted`` / ``CardRemoved``
(published by ``AuthService`` when its watcher sees a change); this says whether there is a
watcher at all and whether it can read the reader.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.events import Event


class CardWatchState(enum.Enum):
    UNCONFIGURED = "unconfigured"  # no PKCS#11 module in the settings
    STARTING = "starting"  # module being tried, first look not done yet
    WATCHING = "watching"  # the reader answers; presence follows in CardInserted/CardRemoved
    FAILED = "failed"  # the module cannot be used (``reason`` says why, in French)
    STOPPED = "stopped"  # the watch ended (logout, closing, settings changed)


@dataclass(frozen=True)
class CardWatchChanged(Event):
    """The card watcher started, answers, failed or stopped. No card data inside."""

    state: CardWatchState
    module: str = ""
    reason: str = ""
    reason_en: str = ""
