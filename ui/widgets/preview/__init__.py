"""Safe previews of attachments: PDF (QtPdf, from memory), CDA R2 (the project's renderer, no
network), IHE XDM packages, images and text; ``create_preview`` picks the right one."""

from ui.widgets.preview.base import FilingRequest, PreviewFrame
from ui.widgets.preview.cda_preview import CdaPreview, SafeTextBrowser
from ui.widgets.preview.dispatcher import (
    PreviewChoice,
    PreviewKind,
    UnavailablePreview,
    choose_preview,
    create_preview,
)
from ui.widgets.preview.image_preview import ImagePreview
from ui.widgets.preview.panel import PreviewPanel, PreviewWindow
from ui.widgets.preview.pdf_preview import PdfPreview
from ui.widgets.preview.text_preview import TextPreview
from ui.widgets.preview.xdm_preview import XdmPreview

__all__ = [
    "CdaPreview",
    "FilingRequest",
    "ImagePreview",
    "PdfPreview",
    "PreviewChoice",
    "PreviewFrame",
    "PreviewKind",
    "PreviewPanel",
    "PreviewWindow",
    "SafeTextBrowser",
    "TextPreview",
    "UnavailablePreview",
    "XdmPreview",
    "choose_preview",
    "create_preview",
]
