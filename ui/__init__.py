"""Estafette's Qt shell: it presents the headless core (``app``) and never holds business rules.

Importing this package must not import PySide6: the command line goes through ``ui.launcher`` and
only the ``gui`` sub-command loads Qt.
"""
