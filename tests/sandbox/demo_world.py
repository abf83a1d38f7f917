"""The sandbox's demo world: domains, mailboxes, people and patients.

Domains end in ``.mssante.fr`` but are absent from the real ANS whitelist (checked by a test), so a
sandbox address can never be confused with a real one. Patients use ``patient.mssante.fr`` as in
production, with test INS matricules whose NIR keys are valid.
"""

from __future__ import annotations

from dataclasses import dataclass

PRACTICE_RIVOLI = "cabinet-rivoli.estafette-demo.mssante.fr"
PRACTICE_CROIX_ROUSSE = "cabinet-croix-rousse.estafette-demo.mssante.fr"
HOSPITAL = "chu-lumiere.estafette-demo.mssante.fr"
LAB = "labo-bioval.estafette-demo.mssante.fr"
PATIENT_DOMAIN = "patient.mssante.fr"

SANDBOX_DOMAINS = (PRACTICE_RIVOLI, PRACTICE_CROIX_ROUSSE, HOSPITAL, LAB, PATIENT_DOMAIN)
# The whitelist the sandbox publishes: its professional domains and the patients' domain.
WHITELISTED_DOMAINS = SANDBOX_DOMAINS


@dataclass(frozen=True)
class Person:
    """Someone who logs in: a Dovecot user with a personal box, an OIDC account, an LDAP entry."""

    login: str  # the person's own MSSanté address; also the IMAP/SMTP login and the OIDC ``sub``
    password: str
    given_name: str
    family_name: str
    title: str  # civilité d'exercice
    profession: str
    specialty: str | None
    rpps: str  # 11 digits
    structure: str
    city: str
    postcode: str

    @property
    def national_id(self) -> str:
        """The identifier Pro Santé Connect knows: ``8`` + RPPS."""
        return "8" + self.rpps

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.given_name} {self.family_name.upper()}"


@dataclass(frozen=True)
class Mailbox:
    address: str
    kind: str  # PER | ORG | APP
    owner: Person | None  # PER: the professional; ORG/APP: None
    members: tuple[Person, ...] = ()  # ORG: the people who open it with their own login
    display_name: str = ""
    # ORG: the member responsible for the box (MSSANTE.md §1): holds the IMAP ACL "a"
    # (administer) right, and reads the box's audit trail.
    manager: Person | None = None


@dataclass(frozen=True)
class Patient:
    ins: str  # 15-character NIR matricule (13 + 2-digit key)
    oid: str  # INS-NIR OID
    family_name: str
    given_name: str
    birth_date: str  # YYYY-MM-DD
    sex: str  # M | F

    @property
    def address(self) -> str:
        return f"{self.ins}@{PATIENT_DOMAIN}"


def nir_key(first13: str) -> str:
    """The 2-digit control key of a NIR: 97 − (number mod 97); Corsica 2A/2B count as 19/18."""
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def _ins(first13: str) -> str:
    return first13 + nir_key(first13)


INS_NIR_OID = "1.2.250.1.213.1.4.8"
INS_TEST_NIR_OID = "1.2.250.1.213.1.4.10"

DR_MARTIN = Person(
    login=f"jean.martin@{PRACTICE_RIVOLI}", password="Rivoli-Demo-2026!", given_name="Jean",
    family_name="Martin", title="Dr", profession="Médecin", specialty="Médecine générale",
    rpps="10001234567", structure="Cabinet médical Rivoli", city="Lyon", postcode="69001")
DR_BERNARD = Person(
    login=f"claire.bernard@{PRACTICE_CROIX_ROUSSE}", password="CroixRousse-Demo-2026!",
    given_name="Claire", family_name="Bernard", title="Dr", profession="Médecin",
    specialty="Médecine générale", rpps="10009876543", structure="Maison de santé Croix-Rousse",
    city="Lyon", postcode="69004")
NURSE_PETIT = Person(
    login=f"sophie.petit@{HOSPITAL}", password="Petit-Demo-2026!", given_name="Sophie",
    family_name="Petit", title="Mme", profession="Infirmier", specialty=None, rpps="10005550001",
    structure="CHU Lumière — Cardiologie", city="Villeurbanne", postcode="69100")
NURSE_MOREAU = Person(
    login=f"lucas.moreau@{HOSPITAL}", password="Moreau-Demo-2026!", given_name="Lucas",
    family_name="Moreau", title="M.", profession="Infirmier", specialty=None, rpps="10005550002",
    structure="CHU Lumière — Cardiologie", city="Villeurbanne", postcode="69100")

PEOPLE = (DR_MARTIN, DR_BERNARD, NURSE_PETIT, NURSE_MOREAU)

CARDIOLOGY_BOX = Mailbox(
    address=f"cardiologie@{HOSPITAL}", kind="ORG", owner=None,
    members=(NURSE_PETIT, NURSE_MOREAU), display_name="CHU Lumière — Cardiologie",
    manager=NURSE_MOREAU)
LAB_BOX = Mailbox(
    address=f"resultats@{LAB}", kind="APP", owner=None,
    display_name="Laboratoire Bioval — Résultats")
# The APP box logs in with its certificate; this password protects its PKCS#12 file.
LAB_CERTIFICATE_PASSWORD = "Bioval-P12-2026"
# Dovecot still needs a passdb entry for the APP box; nobody is told this password.
LAB_INTERNAL_PASSWORD = "not-for-humans-Bioval-2026"

MAILBOXES = (
    Mailbox(DR_MARTIN.login, "PER", DR_MARTIN, display_name=DR_MARTIN.display_name),
    Mailbox(DR_BERNARD.login, "PER", DR_BERNARD, display_name=DR_BERNARD.display_name),
    Mailbox(NURSE_PETIT.login, "PER", NURSE_PETIT, display_name=NURSE_PETIT.display_name),
    Mailbox(NURSE_MOREAU.login, "PER", NURSE_MOREAU, display_name=NURSE_MOREAU.display_name),
    CARDIOLOGY_BOX,
    LAB_BOX,
)

PATIENTS = (
    Patient(_ins("2750369123045"), INS_NIR_OID, "Durand", "Marie", "1975-03-14", "F"),
    Patient(_ins("1580169388112"), INS_NIR_OID, "Lefèvre", "Paul", "1958-01-02", "M"),
    Patient(_ins("282022A004012"), INS_NIR_OID, "Santoni", "Lucia", "1982-02-27", "F"),
    Patient(_ins("1121169123456"), INS_NIR_OID, "Garnier", "Hugo", "2012-11-05", "M"),
)
