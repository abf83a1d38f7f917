"""Write a synthetic ``Extraction_Correspondance_MSSante`` file in the real format (MSSANTE.md §7).

    python -m tests.benchmarks.extraction_generator OUT.zip --rows 535000 [--seed 6] [--txt]

ZIP holding ``Extraction_Correspondance_MSSante_<stamp>.txt`` (or the bare TXT with ``--txt`` or an
output name ending in ``.txt``): UTF-8, ``|``-separated, one header line with the 31 published
column names, PER and ORG boxes (a few APP and CAB), plausible French names, real professions with
their codes (TRE_G15: 10 Médecin, 21 Pharmacien, 40 Chirurgien-Dentiste, 50 Sage-Femme,
60 Infirmier, 70 Masseur-Kinésithérapeute…), savoir-faire for physicians, real towns with their
postcodes and départements (Corsica and overseas included, the département column sometimes left
empty as in real data), and about 1 % of addresses repeated (a professional with several places of
practice). Deterministic for a given seed. Nothing here is real personal data.

The column list is written out here on purpose rather than imported from the reader: the generator
stands for the ANS's format, so a reader bug cannot hide behind a shared constant.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

HEADER: tuple[str, ...] = (
    "Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP",
    "Identification nationale PP", "Type identifiant structure", "Identification Structure",
    "Service de rattachement", "Civilité d'exercice", "Nom d'exercice", "Prénom d'exercice",
    "Catégorie profession", "Libellé de catégorie profession", "Code Profession",
    "Libellé Profession", "Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
    "Raison Sociale structure BAL", "Enseigne commerciale structure BAL",
    "L2COMPLEMENTLOCALISATION structure BAL", "L3COMPLEMENTDISTRIBUTION structure BAL",
    "L4NUMEROVOIE structure BAL", "L4COMPLEMENTNUMEROVOIE structure BAL",
    "NL4TYPEVOIE structure BAL", "L4LIBELLEVOIE structure BAL", "L5LIEUDITMENTION structure BAL",
    "L6LIGNEACHEMINEMENT structure BAL", "Code postal structure BAL",
    "Département structure BAL", "Pays structure BAL",
)
assert len(HEADER) == 31

MEMBER_PREFIX = "Extraction_Correspondance_MSSante_"

_FAMILY = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez",
    "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard",
    "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume",
    "Lecomte", "Lopez", "Jean", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez",
    "Dupuis", "Moulin", "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury",
    "Royer", "Klein", "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
    "Charles", "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly",
    "Hervé", "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien",
    "Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré", "Lebrun",
    "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez",
    "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier", "Chevallier", "Collin",
    "Chauvin", "Da Silva", "Bouchet", "Gay", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud",
    "Antoine", "Hoarau", "Perret", "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy",
    "Delaunay", "Pasquier", "Carlier", "Laporte", "Santoni", "Casanova", "Albertini", "N'Diaye",
    "Nguyen", "Benali", "Haddad", "Diallo",
)
_GIVEN_F = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Valérie", "Christine",
    "Sandrine", "Véronique", "Sophie", "Céline", "Stéphanie", "Émilie", "Julie", "Aurélie",
    "Camille", "Claire", "Hélène", "Chloé", "Gaëlle", "Inès", "Élodie", "Léa", "Manon",
    "Pauline", "Laure",
    "Anne", "Agnès", "Béatrice", "Mathilde", "Océane", "Maëlle", "Zoé", "Noémie", "Margaux",
    "Anaïs", "Mélanie", "Justine", "Lucie",
)
_GIVEN_M = (
    "Jean", "Philippe", "Michel", "Alain", "Patrick", "Nicolas", "Christophe", "Pierre",
    "Christian", "Éric", "Frédéric", "Laurent", "Stéphane", "David", "Pascal", "Daniel",
    "Sébastien", "Julien", "Thierry", "Olivier", "Bernard", "Thomas", "Alexandre", "Gérard",
    "Didier", "Dominique",
    "François", "Jérôme", "Mathieu", "Antoine", "Benoît", "Théo", "Lucas", "Hugo", "Raphaël",
    "Gaël", "Loïc", "Hervé", "Cédric", "Yannick",
)
# (code, label, weight, savoir-faire choices [(code, label)], domain keyword)
_PROFESSIONS: tuple[tuple[str, str, int, tuple[tuple[str, str], ...], str], ...] = (
    ("10", "Médecin", 40, (
        ("SM54", "Médecine générale"), ("SM54", "Médecine générale"),
        ("SM54", "Médecine générale"), ("SM04", "Cardiologie et maladies vasculaires"),
        ("SM40", "Pédiatrie"), ("SM02", "Anesthésie-réanimation"),
        ("SM44", "Radio-diagnostic et imagerie médicale"), ("SM15", "Dermatologie et vénéréologie"),
        ("SM18", "Gynécologie-obstétrique"), ("SM42", "Psychiatrie"), ("SM38", "Ophtalmologie"),
        ("SM32", "Neurologie"), ("SM53", "Rhumatologie"),
        ("SM24", "Gastro-entérologie et hépatologie"),
        ("SM28", "Médecine interne"), ("SM20", "Gériatrie"), ("SM37", "Oncologie médicale"),
        ("SM34", "Néphrologie"), ("SM39", "Oto-rhino-laryngologie"), ("SM26", "Endocrinologie"),
    ), "medecin"),
    ("60", "Infirmier", 22, (), "infirmier"),
    ("21", "Pharmacien", 10, (), "pharmacien"),
    ("70", "Masseur-Kinésithérapeute", 10, (), "kine"),
    ("40", "Chirurgien-Dentiste", 7, (
        ("", ""), ("", ""), ("SCD01", "Orthopédie dento-faciale"), ("SCD02", "Chirurgie orale"),
    ), "dentiste"),
    ("50", "Sage-Femme", 4, (), "sagefemme"),
    ("80", "Pédicure-Podologue", 2, (), "podologue"),
    ("91", "Orthophoniste", 2, (), "orthophoniste"),
    ("92", "Orthoptiste", 1, (), "orthoptiste"),
    ("96", "Psychomotricien", 1, (), "psychomotricien"),
)
# (town as the routing line writes it, postcode, département)
_TOWNS: tuple[tuple[str, str, str], ...] = (
    ("PARIS", "75001", "75"), ("PARIS", "75011", "75"), ("PARIS", "75015", "75"),
    ("PARIS", "75018", "75"), ("MARSEILLE", "13005", "13"), ("MARSEILLE", "13008", "13"),
    ("LYON", "69003", "69"), ("LYON", "69007", "69"), ("VILLEURBANNE", "69100", "69"),
    ("TOULOUSE", "31000", "31"), ("TOULOUSE", "31400", "31"), ("NICE", "06000", "06"),
    ("NANTES", "44000", "44"), ("MONTPELLIER", "34000", "34"), ("STRASBOURG", "67000", "67"),
    ("BORDEAUX", "33000", "33"), ("LILLE", "59000", "59"), ("RENNES", "35000", "35"),
    ("REIMS", "51100", "51"), ("TOULON", "83000", "83"), ("SAINT-ETIENNE", "42000", "42"),
    ("LE HAVRE", "76600", "76"), ("GRENOBLE", "38000", "38"), ("DIJON", "21000", "21"),
    ("ANGERS", "49000", "49"), ("NIMES", "30000", "30"), ("CLERMONT-FERRAND", "63000", "63"),
    ("LE MANS", "72000", "72"), ("AIX-EN-PROVENCE", "13100", "13"), ("BREST", "29200", "29"),
    ("TOURS", "37000", "37"), ("AMIENS", "80000", "80"), ("LIMOGES", "87000", "87"),
    ("ANNECY", "74000", "74"), ("PERPIGNAN", "66000", "66"), ("METZ", "57000", "57"),
    ("BESANCON", "25000", "25"), ("ORLEANS", "45000", "45"), ("ROUEN", "76000", "76"),
    ("MULHOUSE", "68100", "68"), ("CAEN", "14000", "14"), ("NANCY", "54000", "54"),
    ("ARGENTEUIL", "95100", "95"), ("MONTREUIL", "93100", "93"), ("CRETEIL", "94000", "94"),
    ("VERSAILLES", "78000", "78"), ("POITIERS", "86000", "86"), ("PAU", "64000", "64"),
    ("LA ROCHELLE", "17000", "17"), ("AVIGNON", "84000", "84"), ("VANNES", "56000", "56"),
    ("QUIMPER", "29000", "29"), ("BAYONNE", "64100", "64"), ("CHAMBERY", "73000", "73"),
    ("VALENCE", "26000", "26"), ("TROYES", "10000", "10"), ("BOURGES", "18000", "18"),
    ("AURILLAC", "15000", "15"), ("GUERET", "23000", "23"), ("MENDE", "48000", "48"),
    ("AJACCIO", "20000", "2A"), ("PORTO-VECCHIO", "20137", "2A"), ("BASTIA", "20200", "2B"),
    ("CORTE", "20250", "2B"), ("SAINT-DENIS", "97400", "974"), ("SAINT-PIERRE", "97410", "974"),
    ("FORT-DE-FRANCE", "97200", "972"), ("POINTE-A-PITRE", "97110", "971"),
    ("CAYENNE", "97300", "973"), ("MAMOUDZOU", "97600", "976"),
)
_STREET_TYPES = ("R", "AV", "BD", "PL", "CHE", "ALL", "QUAI", "IMP", "RTE")
_STREETS = ("DE LA REPUBLIQUE", "VICTOR HUGO", "JEAN JAURES", "DU GENERAL DE GAULLE", "PASTEUR",
            "DE LA GARE", "DES LILAS", "DU MARECHAL FOCH", "GAMBETTA", "DE LA LIBERATION",
            "DES ECOLES", "NATIONALE", "DU COMMERCE", "SAINT-MICHEL", "CARNOT", "DE LA PAIX")
_OPERATORS = ("medecin.mssante.fr", "pro.mssante.fr", "mssante.fr-operateur.mssante.fr",
              "ordre-sante.mssante.fr", "liberal.mssante.fr")
_SERVICES = ("Secrétariat", "Cardiologie", "Urgences", "Pédiatrie", "Imagerie médicale",
             "Laboratoire", "Pharmacie", "Maternité", "Chirurgie", "Oncologie", "Gériatrie",
             "Consultations externes", "Bureau des admissions", "Psychiatrie adulte")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "-").replace("'", "")


def _slug(town: str) -> str:
    return _ascii(town).replace("--", "-")


def header_line(columns: Sequence[str] = HEADER) -> str:
    return "|".join(columns)


def rows(count: int, seed: int = 6) -> Iterator[list[str]]:
    """``count`` data rows, each a list of 31 values in HEADER order (deterministic per seed)."""
    rng = random.Random(seed)
    weights = [p[2] for p in _PROFESSIONS]
    cum: list[int] = []
    total = 0
    for w in weights:
        total += w
        cum.append(total)
    family_ascii = [_ascii(f) for f in _FAMILY]
    given_f_ascii = [_ascii(g) for g in _GIVEN_F]
    given_m_ascii = [_ascii(g) for g in _GIVEN_M]
    used: dict[str, int] = {}
    recent: list[list[str]] = []
    rand = rng.random
    randrange = rng.randrange
    for i in range(count):
        # ~1 % of rows repeat a previous address (same professional, another place of practice).
        if recent and rand() < 0.01:
            row = list(recent[randrange(len(recent))])
            town, postcode, dept = _TOWNS[randrange(len(_TOWNS))]
            row[18] = f"Cabinet secondaire de {town.title()}"
            row[27] = f"{postcode} {town}"
            row[28] = postcode
            row[29] = dept
            yield row
            continue
        town, postcode, dept = _TOWNS[randrange(len(_TOWNS))]
        number = str(randrange(1, 180))
        street_type = _STREET_TYPES[randrange(len(_STREET_TYPES))]
        street = _STREETS[randrange(len(_STREETS))]
        # Real files leave the département empty now and then: the reader derives it.
        dept_value = dept if rand() > 0.15 else ""
        kind_draw = rand()
        if kind_draw < 0.82:
            # PER: a professional.
            draw = randrange(total)
            p = 0
            while cum[p] <= draw:
                p += 1
            code, label, _w, skills, keyword = _PROFESSIONS[p]
            fi = randrange(len(_FAMILY))
            female = rand() < 0.55
            if female:
                gi = randrange(len(_GIVEN_F))
                given, given_a = _GIVEN_F[gi], given_f_ascii[gi]
            else:
                gi = randrange(len(_GIVEN_M))
                given, given_a = _GIVEN_M[gi], given_m_ascii[gi]
            family = _FAMILY[fi]
            skill_code, skill_label = skills[randrange(len(skills))] if skills else ("", "")
            civility = ("DR" if code in ("10", "21", "40") else ("MME" if female else "M"))
            if code == "10" and rand() < 0.03:
                civility = "PR"
            domain = (f"{keyword}.mssante.fr" if rand() < 0.6
                      else _OPERATORS[randrange(len(_OPERATORS))])
            local = f"{given_a}.{family_ascii[fi]}"
            key = f"{local}@{domain}"
            n = used.get(key, 0)
            used[key] = n + 1
            address = f"{local}{n}@{domain}" if n else key
            rpps = f"10{(i * 7919 + 12345) % 1_000_000_000:09d}"
            hospital = rand() < 0.3
            if hospital:
                company = f"Centre hospitalier de {town.title()}"
                service = _SERVICES[randrange(len(_SERVICES))]
                sid_type, sid = "1", f"{postcode[:2]}0{randrange(1_000_000):06d}"
            else:
                company = (f"Cabinet de {label.lower()} {family}" if rand() < 0.5
                           else f"Pharmacie {street.title()}" if code == "21"
                           else f"Maison de santé de {town.title()}")
                service = ""
                sid_type, sid = "4", rpps
            row = [
                "PER", address, "8", rpps, "8" + rpps, sid_type, sid, service, civility,
                family.upper() if rand() < 0.5 else family, given, "C", "Civil", code, label,
                skill_code, skill_label, "O" if rand() < 0.7 else "N", company, "", "", "",
                number, "BIS" if rand() < 0.03 else "", street_type, street, "",
                f"{postcode} {town}", postcode, dept_value, "FRANCE",
            ]
            if len(recent) < 2000:
                recent.append(row)
            elif rand() < 0.01:
                recent[randrange(len(recent))] = row
            yield row
        else:
            # ORG (mostly), APP or CAB: a structure's box.
            slug = _slug(town)
            service = _SERVICES[randrange(len(_SERVICES))]
            box_type = "ORG" if kind_draw < 0.97 else ("APP" if kind_draw < 0.985 else "CAB")
            if box_type == "CAB":
                company = f"Cabinet médical {_STREETS[randrange(len(_STREETS))].title()}"
                domain = f"cabinet-{slug}.mssante.fr"
            else:
                company = f"Centre hospitalier de {town.title()}"
                domain = f"ch-{slug}.mssante.fr"
            local = _ascii(service) if box_type != "APP" else "resultats-labo"
            key = f"{local}@{domain}"
            n = used.get(key, 0)
            used[key] = n + 1
            address = f"{local}{n}@{domain}" if n else key
            row = [
                box_type, address, "", "", "", "1", f"{postcode[:2]}0{randrange(1_000_000):06d}",
                service, "", "", "", "", "", "", "", "", "", "O", company,
                "" if rand() < 0.8 else f"Clinique {town.title()}", "Bâtiment A" if rand() < 0.1
                else "", "", number, "", street_type, street, "", f"{postcode} {town}", postcode,
                dept_value, "FRANCE",
            ]
            yield row


def lines(count: int, seed: int = 6) -> Iterator[str]:
    """Header then ``count`` rows, each ending in CRLF like the published file."""
    yield header_line() + "\r\n"
    for row in rows(count, seed):
        yield "|".join(row) + "\r\n"


def member_name(stamp: str = "20261122020000") -> str:
    return f"{MEMBER_PREFIX}{stamp}.txt"


def write(out: Path, count: int, seed: int = 6, *, txt: bool | None = None) -> Path:
    """Write the file (ZIP unless ``txt`` or the name ends in .txt); returns ``out``."""
    if txt is None:
        txt = out.suffix.lower() == ".txt"
    batch: list[str] = []

    def flush(sink: object) -> None:
        sink.write("".join(batch).encode("utf-8"))  # type: ignore[attr-defined]
        batch.clear()

    if txt:
        with open(out, "wb") as handle:
            for line in lines(count, seed):
                batch.append(line)
                if len(batch) >= 5000:
                    flush(handle)
            flush(handle)
        return out
    with (zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
          archive.open(member_name(), "w", force_zip64=True) as member):
        for line in lines(count, seed):
            batch.append(line)
            if len(batch) >= 5000:
                flush(member)
        flush(member)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.extraction_generator")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=535_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--txt", action="store_true", help="write the bare TXT, not a ZIP")
    args = parser.parse_args(argv)
    started = time.monotonic()
    write(args.out, args.rows, args.seed, txt=args.txt or None)
    print(f"{args.out}: {args.rows} rows in {time.monotonic() - started:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
