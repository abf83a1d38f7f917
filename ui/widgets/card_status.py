"""Status-bar indicator of the CPS card: present (with the holder's name) or absent.

Driven by the auth service's ``CardInserted`` / ``CardRemoved`` events through
``ui.bridge.EventBridge``; it never reads the reader itself (that happens off the UI thread in
``app.protocols.pkcs11.card.CardWatcher``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.events import Event
from app.services.auth_events import CardInserted, CardRemoved
from ui.bridge import EventBridge


class CardStatusIndicator(QLabel):
    def __init__(self, bridge: EventBridge | None = None, *, reader_configured: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cardStatus")
        self.setAccessibleName(self.tr("État de la carte CPS"))
        self.present = False
        self.holder = ""
        self._reader_configured = reader_configured
        self._show()
        if bridge is not None:
            bridge.event_published.connect(self.handle_event)

    def handle_event(self, event: Event) -> None:
        """Slot for ``EventBridge.event_published``."""
        if isinstance(event, CardInserted):
            self.present = True
            self.holder = event.display_name or event.national_id
            self._reader_configured = True
        elif isinstance(event, CardRemoved):
            self.present = False
            self.holder = ""
        else:
            return
        self._show()

    def _show(self) -> None:
        if self.present:
            text = self.tr("Carte CPS présente — {holder}").format(holder=self.holder)
            colour = "#2e7040"
        elif self._reader_configured:
            text = self.tr("Carte CPS absente")
            colour = "#6b6b6b"
        else:
            text = self.tr("Lecteur de carte non configuré")
            colour = "#6b6b6b"
        self.setText(f"\N{BLACK SQUARE} {text}" if self.present else f"\N{WHITE SQUARE} {text}")
        self.setStyleSheet(f"color: {colour}; padding: 0 6px;")
        self.setToolTip(text)
        self.setAccessibleDescription(text)
