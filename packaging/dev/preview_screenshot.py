"""Render the document previews to PNG (for the README and visual checks), offscreen or under Xvfb.

    .venv/bin/python -m packaging.dev.preview_screenshot OUT_DIR [CDA.xml]

Writes ``preview-cda.png`` (the structured version), ``preview-cda-pdf.png`` (the PDF shown
first), ``preview-pdf.png`` and ``preview-xdm.png``. Without a CDA file the demo world's level-1
document is used. Demo data only: never point it at a real patient's document.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from app.domain.xdm import XdmInputDocument
    from app.executors import cpu_executor
    from app.protocols.xdm import pack_xdm
    from tests.sandbox import demo_documents as docs
    from tests.sandbox import demo_world as world
    from ui.widgets.preview import CdaPreview, PdfPreview, XdmPreview

    app = QApplication.instance() or QApplication([])
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    executor = cpu_executor()

    def settle(widget: QWidget, ms: int = 2000) -> None:
        widget.resize(1000, 760)
        widget.show()
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)  # QPdfView renders asynchronously
        loop.exec()

    pdf = docs.make_pdf("Compte rendu de biologie — Laboratoire Bioval", [
        "Patient : M. LEFÈVRE Paul, né le 02/01/1958", "",
        "Glycémie à jeun : 5,1 mmol/L (3,9 – 5,8)", "Créatinine : 80 µmol/L (62 – 106)",
        "Conclusion : bilan normal.",
    ])
    cda = (Path(argv[1]).read_bytes() if len(argv) > 1 else docs.make_cda_level1(
        world.PATIENTS[1], docs.BIOLOGIST, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu de biologie",
        effective_time=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), pdf=pdf))
    try:
        preview = CdaPreview(cda, executor=executor)
        settle(preview)
        preview.grab().save(str(out / "preview-cda-pdf.png"))
        if preview.tabs is not None:
            preview.tabs.setCurrentIndex(1)
            settle(preview, 500)
        preview.grab().save(str(out / "preview-cda.png"))
        pdf_preview = PdfPreview(pdf)
        settle(pdf_preview)
        pdf_preview.grab().save(str(out / "preview-pdf.png"))
        package = pack_xdm([XdmInputDocument(cda=docs.make_cda_level1(
            world.PATIENTS[1], docs.BIOLOGIST, code="11502-2", code_system=docs.LOINC,
            display_name="CR d'examens biologiques", title="Compte rendu de biologie",
            effective_time=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), pdf=pdf), pdf=pdf)])
        xdm = XdmPreview(package.zip_bytes, executor=executor)
        settle(xdm)
        xdm.grab().save(str(out / "preview-xdm.png"))
        for widget in (preview, pdf_preview, xdm):
            widget.close()
            widget.deleteLater()
        settle(QWidget(), 100)  # let the deferred deletions run before the application ends
    finally:
        executor.shutdown(wait=True)
    assert app is not None
    print(f"captures écrites dans {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
