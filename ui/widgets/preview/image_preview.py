"""An image attachment, decoded off the UI thread with size limits (no decompression bomb)."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from app.errors import InvalidInputError
from ui.widgets.preview.base import BackgroundRunner, PreviewFrame, error_text

MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 80_000_000  # a 10,000 × 8,000 scan; beyond that the preview is refused


def decode_image(data: bytes) -> QImage:
    """Decode ``data`` (worker thread: QImage is safe off the GUI thread), checking the declared
    dimensions before allocating anything."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInputError("Cette image est trop volumineuse pour être prévisualisée.",
                                message_en="This image is too large to preview.")
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise InvalidInputError("Cette image est trop grande pour être prévisualisée.",
                                message_en="This image is too big to preview.")
    image = reader.read()
    if image.isNull():
        raise InvalidInputError(
            "Cette image est endommagée ou dans un format non pris en charge.",
            message_en="This image is damaged or in an unsupported format.")
    return image


class ImagePreview(PreviewFrame):
    """The image at its size, scaled down to the view's width when larger."""

    def __init__(self, data: bytes, *, executor: Executor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Aperçu de l'image"))
        self.image: QImage | None = None
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.label)
        self._runner = BackgroundRunner(executor, self)
        self._runner.run(lambda: decode_image(data), self._show, self._fail)

    def _show(self, image: object) -> None:
        assert isinstance(image, QImage)
        self.image = image
        self.set_content(self.scroll)
        self._fit()
        self.loaded.emit()

    def can_print(self) -> bool:
        return self.image is not None and not self.image.isNull()

    def print_to(self, printer: Any) -> bool:
        from ui.printing import print_image

        return self.image is not None and print_image(self.image, printer)

    def _fail(self, error: BaseException) -> None:
        self.show_failure(error_text(error))

    def _fit(self) -> None:
        if self.image is None:
            return
        pixmap = QPixmap.fromImage(self.image)
        width = max(64, self.scroll.viewport().width() - 8)
        if pixmap.width() > width:
            pixmap = pixmap.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        self.label.setPixmap(pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
