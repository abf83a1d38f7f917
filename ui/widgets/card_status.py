"""Status-bar indicator of the CPS card: not configured, looking, absent, present (with the
holder's name), or the reader in error (with the reason in its tooltip).

Driven by events through ``ui.bridge.EventBridge``: ``CardWatchChanged`` from the card watch
(``app.composition.CardMonitor``) says whether a reader is watched and whether it answers;
``CardInserted`` / ``CardRemoved`` from the auth service say whether a card is in it. It never
reads the reader itself (that happens off the UI thread, on the ``card-watch`` thread).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.events import Event
from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState
from app.services.auth_events import CardInserted, CardRemoved
from ui.bridge import EventBridge


class CardState:
    """What the indicator shows (``CardStatusIndicator.state``)."""

    UNCONFIGURED = "unconfigured"
    STARTING = "starting"
    ABSENT = "absent"
    PRESENT = "present"
    ERROR = "error"


class CardStatusIndicator(QLabel):
    def __init__(self, bridge: EventBridge | None = None, *, reader_configured: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardStatus")
        self.setAccessibleName(self.tr("État de la carte CPS"))
        self.present = False
        self.holder = ""
        self.error = ""  # the reason shown while the reader is in error (French or English)
        self._watch = CardState.ABSENT if reader_configured else CardState.UNCONFIGURED
        self._show()
        if bridge is not None:
            bridge.event_published.connect(self.handle_event)

    @property
    def state(self) -> str:
        if self._watch == CardState.ABSENT and self.present:
            return CardState.PRESENT
        return self._watch

    def handle_event(self, event: Event) -> None:
        """Slot for ``EventBridge.event_published``."""
        if isinstance(event, CardInserted):
            self.present = True
            self.holder = event.display_name or event.national_id
            self._watch = CardState.ABSENT  # a card was read: the reader answers
            self.error = ""
        elif isinstance(event, CardRemoved):
            self.present = False
            self.holder = ""
        elif isinstance(event, CardWatchChanged):
            self._watch_changed(event)
        else:
            return
        self._show()

    def _watch_changed(self, event: CardWatchChanged) -> None:
        if event.state is CardWatchState.WATCHING:
            self._watch, self.error = CardState.ABSENT, ""
            return
        # Any other state: what was read before no longer holds.
        self.present, self.holder = False, ""
        if event.state is CardWatchState.FAILED:
            from ui.dialogs import ui_language

            self._watch = CardState.ERROR
            self.error = (event.reason_en if ui_language() == "en" and event.reason_en
                          else event.reason) or self.tr("Le lecteur de carte ne répond pas.")
        elif event.state is CardWatchState.STARTING:
            self._watch, self.error = CardState.STARTING, ""
        else:  # UNCONFIGURED, STOPPED
            self._watch, self.error = CardState.UNCONFIGURED, ""

    def _show(self) -> None:
        state = self.state
        tip = ""
        mark = "\N{WHITE SQUARE}"
        colour = "#6b6b6b"
        if state == CardState.PRESENT:
            text = self.tr("Carte CPS présente — {holder}").format(holder=self.holder)
            mark, colour = "\N{BLACK SQUARE}", "#2e7040"
        elif state == CardState.ABSENT:
            text = self.tr("Carte CPS absente")
        elif state == CardState.STARTING:
            text = self.tr("Recherche de la carte CPS…")
        elif state == CardState.ERROR:
            text = self.tr("Lecteur de carte en erreur")
            mark, colour = "\N{WARNING SIGN}", "#a4000f"
            tip = self.error
        else:
            text = self.tr("Lecteur de carte non configuré")
        self.setText(f"{mark} {text}")
        self.setStyleSheet(f"color: {colour}; padding: 0 6px;")
        self.setToolTip(f"{text}\n{tip}" if tip else text)
        self.setAccessibleDescription(f"{text}. {tip}" if tip else text)
