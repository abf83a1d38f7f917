"""The directory dialog: a multi-criteria search over the Annuaire Santé (offline extraction, plus
the organisation's LDAP and the national API when configured), a results table, and "Ajouter en
À" / "Ajouter en Cc", which emit the chosen addresses (the composer connects them).

The search runs off the UI thread (it may wait on the network); an answer to an older search is
dropped. Non-modal: opened with ``show()``, never ``exec()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.directory_service import DirectoryCriteria, DirectorySearchResult
from ui.dialogs import BackgroundRunner, error_text
from ui.models.directory_results_model import Column, DirectoryResultsModel, Roles

SearchFn = Callable[[DirectoryCriteria], DirectorySearchResult]


class DirectoryDialog(QDialog):
    add_to = Signal(list)  # list[str] of addresses
    add_cc = Signal(list)
    search_finished = Signal(int)  # number of results (also after an error: 0)

    def __init__(
        self,
        *,
        runner: BackgroundRunner,
        search: SearchFn,
        parent: QWidget | None = None,
        show_cc: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("directoryDialog")
        self.setWindowTitle(self.tr("Annuaire santé"))
        self.setModal(False)
        self.resize(980, 560)
        self._runner = runner
        self._search = search
        self._serial = 0

        # -- criteria --
        self.name_edit = self._criterion("nameEdit", self.tr("Nom"))
        self.first_name_edit = self._criterion("firstNameEdit", self.tr("Prénom"))
        self.profession_edit = self._criterion("professionEdit", self.tr("Profession"))
        self.specialty_edit = self._criterion("specialtyEdit", self.tr("Spécialité"))
        self.city_edit = self._criterion("cityEdit", self.tr("Ville"))
        self.postcode_edit = self._criterion("postcodeEdit", self.tr("Code postal"))
        self.postcode_edit.setMaxLength(5)
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("typeCombo")
        self.type_combo.setAccessibleName(self.tr("Type de boîte"))
        for label, value in (
            (self.tr("Tous les types"), ""),
            (self.tr("PER — personnelle"), "PER"),
            (self.tr("ORG — organisationnelle"), "ORG"),
            (self.tr("APP — applicative"), "APP"),
        ):
            self.type_combo.addItem(label, value)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        pairs = [
            (self.tr("&Nom :"), self.name_edit), (self.tr("&Prénom :"), self.first_name_edit),
            (self.tr("P&rofession :"), self.profession_edit),
            (self.tr("&Spécialité :"), self.specialty_edit),
            (self.tr("&Ville :"), self.city_edit), (self.tr("&Code postal :"), self.postcode_edit),
        ]
        for i, (text, widget) in enumerate(pairs):
            buddy = QLabel(text, self)
            buddy.setBuddy(widget)
            grid.addWidget(buddy, i // 2, (i % 2) * 2)
            grid.addWidget(widget, i // 2, (i % 2) * 2 + 1)
        type_label = QLabel(self.tr("T&ype :"), self)
        type_label.setBuddy(self.type_combo)
        grid.addWidget(type_label, 3, 0)
        grid.addWidget(self.type_combo, 3, 1)

        self.search_button = QPushButton(self.tr("&Rechercher"), self)
        self.search_button.setObjectName("searchButton")
        self.search_button.setDefault(True)
        self.search_button.setAutoDefault(True)
        self.search_button.clicked.connect(self.start_search)
        self.clear_button = QPushButton(self.tr("&Effacer"), self)
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.clear_criteria)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.clear_button)
        actions.addWidget(self.search_button)
        grid.addLayout(actions, 3, 2, 1, 2)

        # -- results --
        self.model = DirectoryResultsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortLocaleAware(True)
        self.table = QTableView(self)
        self.table.setObjectName("resultsTable")
        self.table.setAccessibleName(self.tr("Résultats de la recherche dans l'annuaire"))
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # keep the relevance order
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((Column.ADDRESS, 260), (Column.TYPE, 50), (Column.NAME, 170),
                              (Column.PROFESSION, 180), (Column.STRUCTURE, 170)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _index: self._emit(self.add_to))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("statusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("État de la recherche"))
        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("warningLabel")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #8a5300;")
        self.warning_label.hide()

        self.add_to_button = QPushButton(self.tr("Ajouter en &À"), self)
        self.add_to_button.setObjectName("addToButton")
        self.add_to_button.setAutoDefault(False)
        self.add_to_button.clicked.connect(lambda: self._emit(self.add_to))
        self.add_cc_button = QPushButton(self.tr("Ajouter en C&c"), self)
        self.add_cc_button.setObjectName("addCcButton")
        self.add_cc_button.setAutoDefault(False)
        self.add_cc_button.clicked.connect(lambda: self._emit(self.add_cc))
        self.add_cc_button.setVisible(show_cc)
        self.close_button = QPushButton(self.tr("&Fermer"), self)
        self.close_button.setObjectName("closeButton")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.add_to_button)
        buttons.addWidget(self.add_cc_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        form_box = QFormLayout()
        form_box.addRow(grid)
        layout.addLayout(form_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warning_label)
        layout.addLayout(buttons)
        self._update_buttons()
        self.name_edit.setFocus()

    def _criterion(self, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setClearButtonEnabled(True)
        # Entrée reaches the default button (Rechercher): no returnPressed connection, or two
        # searches would start.
        return edit

    # -- search -----------------------------------------------------------------------------------
    def criteria(self) -> DirectoryCriteria:
        return DirectoryCriteria(
            name=self.name_edit.text().strip(),
            first_name=self.first_name_edit.text().strip(),
            profession=self.profession_edit.text().strip(),
            specialty=self.specialty_edit.text().strip(),
            city=self.city_edit.text().strip(),
            postcode=self.postcode_edit.text().strip(),
            box_type=str(self.type_combo.currentData() or ""),
        )

    def clear_criteria(self) -> None:
        for edit in (self.name_edit, self.first_name_edit, self.profession_edit,
                     self.specialty_edit, self.city_edit, self.postcode_edit):
            edit.clear()
        self.type_combo.setCurrentIndex(0)
        self.name_edit.setFocus()

    def start_search(self) -> None:
        criteria = self.criteria()
        if criteria.is_empty():
            self.status_label.setText(self.tr("Indiquez au moins un critère de recherche."))
            return
        self._serial += 1
        serial = self._serial
        self.status_label.setText(self.tr("Recherche en cours…"))
        self.warning_label.hide()
        self.search_button.setEnabled(False)
        search = self._search
        self._runner.run(
            lambda: search(criteria),
            lambda result: self._on_results(serial, result),
            lambda exc: self._on_error(serial, exc),
        )

    def _on_results(self, serial: int, result: DirectorySearchResult) -> None:
        if serial != self._serial:
            return
        self.search_button.setEnabled(True)
        self.model.set_entries(result.entries)
        count = len(result.entries)
        if count == 0:
            self.status_label.setText(self.tr("Aucune boîte ne correspond à ces critères."))
        elif count == 1:
            self.status_label.setText(self.tr("1 résultat"))
        else:
            self.status_label.setText(self.tr("{count} résultats").format(count=count))
        if result.warnings:
            self.warning_label.setText("\n".join(result.warnings))
            self.warning_label.show()
        if count:
            self.table.selectRow(0)
        self._update_buttons()
        self.search_finished.emit(count)

    def _on_error(self, serial: int, exc: BaseException) -> None:
        if serial != self._serial:
            return
        self.search_button.setEnabled(True)
        self.model.clear()
        self.status_label.setText(error_text(exc, self.tr(
            "La recherche dans l'annuaire a échoué. Les détails ont été écrits dans le journal.")))
        self._update_buttons()
        self.search_finished.emit(0)

    # -- choosing ---------------------------------------------------------------------------------
    def selected_addresses(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        out: list[str] = []
        for row in rows:
            value: Any = self.proxy.index(row, 0).data(Roles.ADDRESS)
            if value:
                out.append(str(value))
        return out

    def _emit(self, signal: Any) -> None:
        addresses = self.selected_addresses()
        if not addresses:
            return
        signal.emit(addresses)
        count = len(addresses)
        self.status_label.setText(
            self.tr("{count} adresse(s) ajoutée(s) au message.").format(count=count))

    def _update_buttons(self, *_args: Any) -> None:
        has = bool(self.table.selectionModel().selectedRows())
        self.add_to_button.setEnabled(has)
        self.add_cc_button.setEnabled(has)

    def done(self, result: int) -> None:
        self._serial += 1  # a search still running is no longer wanted
        super().done(result)
