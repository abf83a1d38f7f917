"""A text attachment shown as plain text (never interpreted: HTML shows as its source)."""

from __future__ import annotations

import codecs
from concurrent.futures import Executor
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from ui.widgets.preview.base import BackgroundRunner, PreviewFrame, error_text

MAX_TEXT_BYTES = 4 * 1024 * 1024


def decode_text(data: bytes, charset: str | None = None) -> tuple[str, bool]:
    """(text, truncated): the declared charset when known, else UTF-8, else Windows-1252 (what
    French office software writes); undecodable bytes become U+FFFD, never an error."""
    truncated = len(data) > MAX_TEXT_BYTES
    chunk = data[:MAX_TEXT_BYTES]
    if chunk.startswith(codecs.BOM_UTF8):
        return chunk[3:].decode("utf-8", "replace"), truncated
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return chunk.decode("utf-16", "replace"), truncated
    if charset:
        try:
            return chunk.decode(charset, "replace"), truncated
        except LookupError:
            pass  # an unknown charset name from the sender: guess instead
    try:
        return chunk.decode("utf-8"), truncated
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(chunk) - 4:
            return chunk[: exc.start].decode("utf-8"), truncated  # cut inside a character
    return chunk.decode("cp1252", "replace"), truncated


class TextPreview(PreviewFrame):
    def __init__(self, data: bytes, *, executor: Executor, charset: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Aperçu du texte"))
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setAccessibleName(self.tr("Contenu du fichier texte"))
        self._runner = BackgroundRunner(executor, self)
        self._runner.run(lambda: decode_text(data, charset), self._show, self._fail)

    def _show(self, decoded: object) -> None:
        text, truncated = decoded  # type: ignore[misc]
        if truncated:
            text += "\n\n" + self.tr("[… aperçu limité aux premiers 4 Mo du fichier]")
        self.editor.setPlainText(text)
        self.set_content(self.editor)
        self.loaded.emit()

    def can_print(self) -> bool:
        return self.current_page() is self.editor

    def print_to(self, printer: Any) -> bool:
        from ui.printing import print_text_document

        return self.can_print() and print_text_document(self.editor.document(), printer)

    def _fail(self, error: BaseException) -> None:
        self.show_failure(error_text(error))
