"""Translations of the shell: French source strings, English from ``resources/translations``.

Every user-facing string in ``ui/`` is written in French inside ``self.tr()`` or
``QCoreApplication.translate()``; ``pyside6-lupdate`` collects them into ``estafette_en.ts``
(where a translator fills in the English) and ``pyside6-lrelease`` compiles that into the ``.qm``
loaded at run time.

    python -m ui.i18n build    # refresh the .ts from the sources, then compile the .qm
    python -m ui.i18n compile  # compile the committed .ts into .qm only (set-up, packaging)
    python -m ui.i18n check    # list strings that have no English translation yet (exit 1 if any)
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = PROJECT_ROOT / "resources" / "translations"  # the .ts sources
# The compiled .qm live inside the ui package so that an installed wheel carries them
# (pyproject's package-data); resources/ is not installed.
CATALOGUES_DIR = Path(__file__).resolve().parent / "translations"
SOURCES_DIR = PROJECT_ROOT / "ui"
SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")  # fr is the source text: it needs no catalogue of its own


def ts_path(lang: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / f"estafette_{lang}.ts"


def qm_path(lang: str, directory: Path = CATALOGUES_DIR) -> Path:
    return directory / f"estafette_{lang}.qm"


def install_translators(
    app: QCoreApplication, lang: str, *, directory: Path = CATALOGUES_DIR
) -> list[QTranslator]:
    """Install the catalogues for ``lang`` on ``app`` and return them.

    The caller must keep the returned list alive: Qt does not own the translators, and a collected
    one silently falls back to the French source text.
    """
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    installed: list[QTranslator] = []
    # Qt's own strings (standard buttons, context menus of text fields) in the same language.
    qt_catalogues = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_translator = QTranslator(app)
    if qt_translator.load(QLocale(lang), "qtbase", "_", qt_catalogues):
        app.installTranslator(qt_translator)
        installed.append(qt_translator)
    if lang != SOURCE_LANGUAGE:
        catalogue = qm_path(lang, directory)
        translator = QTranslator(app)
        if translator.load(str(catalogue)):
            app.installTranslator(translator)
            installed.append(translator)
        else:
            # Not fatal: the window stays usable in French; say why for whoever packages it.
            log.warning("translation catalogue %s missing or unreadable; run "
                        "`python -m ui.i18n build`", catalogue)
    return installed


def _tool(name: str) -> str:
    """A Qt linguist tool: the venv's ``pyside6-NAME`` wrapper, else PySide6's own binary."""
    candidates = [Path(sys.executable).with_name(f"pyside6-{name}")]
    on_path = shutil.which(f"pyside6-{name}")
    if on_path:
        candidates.append(Path(on_path))
    try:
        import PySide6

        package_dir = Path(PySide6.__file__).parent
        candidates += [package_dir / name, package_dir / "Qt" / "libexec" / name]
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise SystemExit(f"{name} introuvable : installez PySide6 dans l'environnement du projet")


def _sources() -> list[str]:
    return sorted(str(p.relative_to(PROJECT_ROOT)) for p in SOURCES_DIR.rglob("*.py"))


def update_ts(lang: str) -> Path:
    """Refresh ``estafette_LANG.ts`` from the sources, keeping existing translations."""
    target = ts_path(lang)
    subprocess.run(
        [_tool("lupdate"), "-no-obsolete", "-source-language", SOURCE_LANGUAGE,
         "-target-language", lang, *_sources(), "-ts", str(target.relative_to(PROJECT_ROOT))],
        cwd=PROJECT_ROOT, check=True,
    )
    return target


def compile_qm(ts: Path, qm: Path) -> Path:
    qm.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


def unfinished(ts: Path) -> list[tuple[str, str]]:
    """(context, source) of every message without a finished translation in ``ts``."""
    missing: list[tuple[str, str]] = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = None if translation is None else translation.get("type")
            if kind in {"vanished", "obsolete"}:
                continue  # no longer in the sources
            # A plural message keeps its text in <numerusform> children, not in <translation>.
            text = "" if translation is None else "".join(translation.itertext())
            if translation is None or kind == "unfinished" or not text.strip():
                missing.append((name, message.findtext("source", "")))
    return missing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "build"
    targets = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]
    if command == "build":
        for lang in targets:
            ts = update_ts(lang)
            compile_qm(ts, qm_path(lang))
            for context, source in unfinished(ts):
                print(f"{ts.name}: non traduit [{context}] {source!r}", file=sys.stderr)
        return 0
    if command == "compile":
        # Set-up and packaging: the committed .ts as it is, compiled; the sources are not read.
        for lang in targets:
            compile_qm(ts_path(lang), qm_path(lang))
        return 0
    if command == "check":
        missing = [(lang, c, s) for lang in targets for c, s in unfinished(ts_path(lang))]
        for lang, context, source in missing:
            print(f"estafette_{lang}.ts: non traduit [{context}] {source!r}", file=sys.stderr)
        return 1 if missing else 0
    print("usage : python -m ui.i18n [build|compile|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
