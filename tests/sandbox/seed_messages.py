"""The sandbox's demo mail: a few dozen realistic French MSSanté messages, delivered by LMTP.

Everything is generated here (documents by ``demo_documents``, XDM packages by the project's own
packer), deterministic (fixed seed, dates relative to ``REFERENCE``) and delivered to each
recipient's INBOX through Dovecot's LMTP listener. Copies of what the demo people "sent" are filed
in their ``Sent`` folder with IMAP APPEND, and some messages are marked ``\\Seen`` or ``\\Flagged``
with IMAP STORE as their owner, so the demo mailboxes look lived in.
"""

from __future__ import annotations

import datetime as dt
import email
import random
import smtplib
import ssl
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from . import demo_documents as docs
from . import demo_world as world
from .common import SandboxError
from .demo_world import Patient, Person

PARIS = ZoneInfo("Europe/Paris")
# Every date is relative to this instant, so two runs give the same mailboxes.
REFERENCE = dt.datetime(2026, 11, 20, 18, 0, tzinfo=PARIS)
SEED = 20261120
SMTP_POLICY = policy.SMTP  # CRLF, RFC 2047 headers: what travels on the wire

# X-MSS-NIL: the product reference of the software that wrote each message (ASCII tokens).
NIL = {
    "estafette": "Estafette/0.1 (sandbox)",
    "lab": "Bioval-SIL/4.2 (demo)",
    "hospital": "Lumiere-DPI/2.3 (demo)",
    "patient": "MonEspaceSante/demo",
    "mta": "Estafette-sandbox-MTA/1.0",
}

MARTIN, BERNARD = world.DR_MARTIN, world.DR_BERNARD
PETIT, MOREAU = world.NURSE_PETIT, world.NURSE_MOREAU
CARDIO, LAB = world.CARDIOLOGY_BOX, world.LAB_BOX
DURAND, LEFEVRE, SANTONI, GARNIER = world.PATIENTS
# A patient address that no operator knows: its messages bounce (DSN) or fail integration (902).
UNKNOWN_PATIENT_INS = "1840575123456" + world.nir_key("1840575123456")

# Authors of hospital documents; not sandbox logins.
CARDIOLOGIST = Person(
    login=CARDIO.address, password="", given_name="Antoine", family_name="Lambert", title="Dr",
    profession="Médecin", specialty="Cardiologie", rpps="10004440004",
    structure="CHU Lumière — Cardiologie", city="Villeurbanne", postcode="69100")


@dataclass
class Seed:
    """One message: where LMTP delivers it, whose Sent keeps a copy, who has seen/flagged it."""

    key: str
    message: EmailMessage
    envelope_from: str
    recipients: list[str]
    sent_copy: str | None = None  # login of the sender whose Sent folder gets a copy
    seen_by: set[str] = field(default_factory=set)  # logins
    flagged_by: set[str] = field(default_factory=set)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


# ----------------------------------------------------------------------------------- helpers


def _address(who: Person | Patient | world.Mailbox) -> Address:
    if isinstance(who, Person):
        return Address(who.display_name, addr_spec=who.login)
    if isinstance(who, Patient):
        return Address(f"{who.given_name} {who.family_name.upper()}", addr_spec=who.address)
    return Address(who.display_name, addr_spec=who.address)


def _email_of(who: Person | Patient | world.Mailbox) -> str:
    return _address(who).addr_spec


def _birth(patient: Patient) -> str:
    year, month, day = patient.birth_date.split("-")
    return f"{day}/{month}/{year}"


class _Clock:
    """Deterministic send times: ``days_ago`` days before REFERENCE at ``hour``, seeded minutes."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)

    def at(self, days_ago: int, hour: int) -> dt.datetime:
        day = (REFERENCE - dt.timedelta(days=days_ago)).date()
        return dt.datetime(day.year, day.month, day.day, hour, self.rng.randrange(60),
                           self.rng.randrange(60), tzinfo=PARIS)


def _after(msg: EmailMessage, minutes: int) -> dt.datetime:
    """A time ``minutes`` after ``msg`` was sent (receipts and quick replies follow their cause)."""
    sent: dt.datetime = msg["Date"].datetime
    return sent + dt.timedelta(minutes=minutes)


def _message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[1]
    # 16 hex digits keep "Message-ID: <...>" within 78 characters (no folding) for every domain.
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, 'estafette-seed:' + key).hex[:16]}@{domain}>"


def _new(key: str, sender: Person | Patient | world.Mailbox,
         to: Sequence[Person | Patient | world.Mailbox | str], subject: str, when: dt.datetime,
         body: str, *, nil: str, cc: Sequence[Person | world.Mailbox] = (),
         reply_to: EmailMessage | None = None, on_behalf: Person | None = None) -> EmailMessage:
    msg = EmailMessage(policy=policy.default)
    msg["From"] = _address(sender)
    if on_behalf is not None:
        # An ORG box's message written by one of its members (traceability per person).
        msg["Sender"] = _address(on_behalf)
    msg["To"] = [x if isinstance(x, str) else _address(x) for x in to]
    if cc:
        msg["Cc"] = [_address(x) for x in cc]
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = _message_id(key, _email_of(sender))
    if reply_to is not None:
        parent_id = str(reply_to["Message-ID"])
        refs = str(reply_to.get("References", "")).split()
        msg["In-Reply-To"] = parent_id
        msg["References"] = " ".join([*refs, parent_id])
    msg["X-MSS-NIL"] = nil
    msg.set_content(body)
    return msg


def _attach_pdf(msg: EmailMessage, pdf: bytes, filename: str) -> None:
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)


def _signature(person: Person) -> str:
    lines = [f"{person.display_name}", person.specialty or person.profession, person.structure,
             f"{person.postcode} {person.city}"]
    return "\n".join(lines)


def _quote(parent: EmailMessage, author: str) -> str:
    content = parent.get_body(preferencelist=("plain",))
    text = content.get_content() if content is not None else ""
    when = str(parent["Date"])
    quoted = "\n".join("> " + line if line else ">" for line in text.rstrip().splitlines())
    return f"\n\nLe {when}, {author} a écrit :\n{quoted}\n"


def _reply_subject(parent: EmailMessage) -> str:
    subject = str(parent["Subject"])
    return subject if subject.lower().startswith("re:") else "RE: " + subject


# ------------------------------------------------------------------------------ documents, XDM

PackXdm = Callable[..., Any]


def _packer() -> PackXdm | None:
    """The project's XDM packer (app.protocols.xdm.pack_xdm), or None if it cannot be imported."""
    try:
        from app.protocols.xdm.packer import pack_xdm
    except ImportError:
        return None
    return pack_xdm


@dataclass
class _Document:
    patient: Patient
    author: Person
    code: str
    display_name: str
    title: str
    when: dt.datetime
    lines: list[str]
    service_event: docs.Coded | None = None

    @property
    def pdf(self) -> bytes:
        return docs.make_pdf(self.title, [
            f"Patient : {self.patient.family_name.upper()} {self.patient.given_name}, "
            f"né(e) le {_birth(self.patient)} — INS {self.patient.ins}",
            f"Auteur : {self.author.display_name}, {self.author.structure}",
            f"Date : {self.when.strftime('%d/%m/%Y %H:%M')}", "", *self.lines])

    def cda(self, pdf: bytes) -> bytes:
        return docs.make_cda_level1(
            self.patient, self.author, code=self.code, code_system=docs.LOINC,
            display_name=self.display_name, title=self.title, effective_time=self.when, pdf=pdf,
            service_event=self.service_event)

    @property
    def pdf_name(self) -> str:
        return (f"{self.when.strftime('%Y%m%d')}_{self.display_name}_"
                f"{self.patient.family_name.upper()}_{self.patient.given_name}.pdf")


def _xdm_message(pack: PackXdm, key: str, sender: Person | world.Mailbox,
                 to: Sequence[Person | world.Mailbox], document: _Document, body: str, *,
                 nil: str, mdn_to: str | None = None) -> EmailMessage:
    """An MSSanté structured message: IHE_XDM.ZIP (CDA + PDF) and the PDF, ECO.2.1.x headers."""
    from app.domain.xdm import XdmInputDocument

    pdf = document.pdf
    when = document.when + dt.timedelta(minutes=25)  # sent once the document is validated
    package = pack([XdmInputDocument(document.cda(pdf), pdf=pdf, pdf_name=document.pdf_name)],
                   submission_time=when)
    # Subject and MSSanté headers as the project's packer derives them from the CDA header.
    msg = _new(key, sender, to, package.subject, document.when + dt.timedelta(minutes=25), body,
               nil=nil)
    msg["X-MSS-CODECDA"] = package.codes
    msg["X-MSS-INS"] = package.ins_qualified
    if mdn_to is not None:
        msg["Disposition-Notification-To"] = mdn_to
    msg.add_attachment(package.zip_bytes, maintype="application", subtype="zip",
                       filename="IHE_XDM.ZIP")
    _attach_pdf(msg, pdf, document.pdf_name)
    return msg


# ---------------------------------------------------------------------------------- receipts


def _report(key: str, sender: Address, to: Person, subject: str, when: dt.datetime,
            report_type: str, human: str, machine_type: str, machine: str,
            original: EmailMessage, *, headers_only: bool,
            extra: Sequence[MIMEPart] = ()) -> EmailMessage:
    """A ``multipart/report`` (RFC 6522): human part, machine part, original (or its headers)."""
    _fix_boundaries(original)
    msg = EmailMessage(policy=policy.default)
    msg["From"] = sender
    msg["To"] = _address(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = _message_id(key, sender.addr_spec)
    msg["X-MSS-NIL"] = NIL["mta"] if report_type == "delivery-status" else NIL["hospital"]
    msg["In-Reply-To"] = str(original["Message-ID"])
    msg["References"] = str(original["Message-ID"])
    msg.make_mixed()  # turned into multipart/report below
    text = MIMEPart(policy=policy.default)
    text.set_content(human)
    status = MIMEPart(policy=policy.default)
    # The machine part is a block of header-like fields; send it verbatim (7bit).
    status["Content-Type"] = machine_type
    if machine_type == "message/delivery-status":
        # The generator writes this type as a list of header blocks (per message, per recipient).
        status.set_payload([email.message_from_string(block + "\n", policy=policy.default)
                            for block in machine.strip().split("\n\n")])
    else:
        status.set_payload(machine)
    parts: list[MIMEPart] = [text, status]
    original_part = MIMEPart(policy=policy.default)
    if headers_only:
        original_part["Content-Type"] = "text/rfc822-headers"
        # The original's header section as it travelled (RFC 2047 words, so 7-bit).
        wire = original.as_bytes(policy=policy.default)
        original_part.set_payload(wire.split(b"\n\n", 1)[0].decode("ascii") + "\n")
    else:
        original_part.set_content(original)
    parts.append(original_part)
    parts.extend(extra)
    for part in parts:
        # attach() is typed for EmailMessage but takes any MIME part (it appends to the payload).
        msg.attach(cast(EmailMessage, part))
    msg.set_type("multipart/report")
    msg.set_param("report-type", report_type)
    return msg


def _dsn(key: str, original: EmailMessage, sender: Person, bad_rcpt: str,
         when: dt.datetime) -> EmailMessage:
    domain = sender.login.rsplit("@", 1)[1]
    machine = (f"Reporting-MTA: dns; mx.{domain}\n"
               f"Arrival-Date: {original['Date']}\n"
               f"\n"
               f"Final-Recipient: rfc822; {bad_rcpt}\n"
               f"Original-Recipient: rfc822; {bad_rcpt}\n"
               f"Action: failed\n"
               f"Status: 5.1.1\n"
               f"Remote-MTA: dns; mx.{world.PATIENT_DOMAIN}\n"
               f"Diagnostic-Code: smtp; 550 5.1.1 <{bad_rcpt}>: Recipient address rejected: "
               f"patient inconnu\n")
    human = (f"Ceci est le système de messagerie de {domain}.\n\n"
             f"Votre message n'a pas pu être remis au destinataire suivant :\n\n"
             f"    <{bad_rcpt}> : adresse inconnue (patient inconnu de Mon espace santé)\n\n"
             f"Vérifiez l'identité INS du patient et l'adresse utilisée.\n")
    return _report(key, Address("Système de messagerie", addr_spec=f"MAILER-DAEMON@{domain}"),
                   sender, "Non remis : " + str(original["Subject"]), when, "delivery-status",
                   human, "message/delivery-status", machine, original, headers_only=True)


def _mdn(key: str, original: EmailMessage, reporter: world.Mailbox, to: Person,
         when: dt.datetime, *, error: tuple[str, str] | None = None) -> EmailMessage:
    """An MDN per the ANS profile (RFC 8098; ``processed`` or ``processed/Error: code^libellé``)."""
    subject = str(original["Subject"])
    disposition = "automatic-action/MDN-sent-automatically; processed"
    extra: list[MIMEPart] = []
    if error is None:
        human = ("Le message ci-dessous a été intégré automatiquement dans le dossier patient "
                 f"informatisé de {reporter.display_name}.\n")
    else:
        code, label = error
        subject = f"[KO Intégration système !][{code}] {subject}"
        disposition += f"/Error: {code}^{label}^messageErrorCondition|E^Error^errorSeverity"
        human = ("Le message ci-dessous n’a pas pu être intégré automatiquement dans le DPI pour "
                 f"la raison suivante : {label}\n"
                 f"Le système a retourné l'erreur {code}^{label}.\n")
        # ANS profile: the original attachments (IHE_XDM.ZIP and the PDF) come back as well.
        for attachment in original.iter_attachments():
            copy = MIMEPart(policy=policy.default)
            copy.set_content(attachment.get_content(), maintype=attachment.get_content_maintype(),
                             subtype=attachment.get_content_subtype(),
                             filename=attachment.get_filename(), disposition="attachment")
            extra.append(copy)
    machine = (f"Reporting-UA: {reporter.address}; {NIL['hospital']}\n"
               f"Original-Recipient: rfc822; {reporter.address}\n"
               f"Final-Recipient: rfc822; {reporter.address}\n"
               f"Original-Message-ID: {original['Message-ID']}\n"
               f"Disposition: {disposition}\n")
    return _report(key, _address(reporter), to, subject, when, "disposition-notification", human,
                   "message/disposition-notification", machine, original,
                   headers_only=error is None, extra=extra)


# ------------------------------------------------------------------------------- the messages


def build() -> list[Seed]:
    """Every demo message, in chronological order of sending (deterministic)."""
    clock = _Clock()
    seeds: list[Seed] = []
    m, b = MARTIN.login, BERNARD.login
    nurses = {PETIT.login, MOREAU.login}

    def add(key: str, msg: EmailMessage, recipients: Sequence[Person | Patient | world.Mailbox],
            *, sent: Person | None = None, seen: set[str] | None = None,
            flagged: set[str] | None = None, envelope_from: str | None = None) -> EmailMessage:
        seeds.append(Seed(key, msg, envelope_from if envelope_from is not None
                          else msg["From"].addresses[0].addr_spec,
                          [_email_of(r) for r in recipients],
                          sent_copy=sent.login if sent else None,
                          seen_by=seen or set(), flagged_by=flagged or set()))
        return msg

    # 1. Adressage between the two GPs, a three-message thread.
    adressage = add("adressage-durand", _new(
        "adressage-durand", BERNARD, [MARTIN],
        "Adressage — Mme DURAND Marie, HTA résistante", clock.at(20, 9),
        "Cher confrère,\n\nJe vous adresse Mme Marie DURAND, 51 ans, qui s'installe dans votre "
        "quartier et souhaite vous choisir comme médecin traitant.\n\nAntécédents : HTA depuis "
        "2015, mal contrôlée sous trithérapie (amlodipine 10 mg, valsartan 160 mg, "
        "hydrochlorothiazide 25 mg). Dernière PA au cabinet 158/96. Pas de diabète. "
        "Dyslipidémie sous régime.\n\nJe joins mon dernier courrier de synthèse. Un bilan "
        "d'HTA secondaire (aldostérone/rénine) me semblerait utile.\n\nBien confraternellement,\n\n"
        + _signature(BERNARD), nil=NIL["estafette"]), [MARTIN], sent=BERNARD, seen={m, b},
        flagged={m})
    _attach_pdf(adressage, docs.make_pdf("Courrier de synthèse — Mme DURAND Marie", [
        "Motif : changement de médecin traitant (déménagement).",
        "HTA essentielle présumée depuis 2015, résistante à une trithérapie bien conduite.",
        "Traitement : amlodipine 10 mg/j, valsartan 160 mg/j, hydrochlorothiazide 25 mg/j.",
        "Allergies : aucune connue.", "Vaccinations à jour.",
        "À prévoir : dosage aldostérone/rénine, MAPA, consultation de cardiologie."]),
        "Synthese_DURAND_Marie.pdf")
    reponse = add("adressage-durand-re", _new(
        "adressage-durand-re", MARTIN, [BERNARD], _reply_subject(adressage), clock.at(19, 13),
        "Chère consœur,\n\nMerci pour ce courrier très complet. J'ai vu Mme DURAND ce matin ; "
        "je prescris le bilan d'HTA secondaire et une MAPA, et je demande un avis cardiologique "
        "au CHU Lumière.\n\nBien confraternellement,\n\n" + _signature(MARTIN)
        + _quote(adressage, BERNARD.display_name), nil=NIL["estafette"], reply_to=adressage),
        [BERNARD], sent=MARTIN, seen={b})
    add("adressage-durand-re2", _new(
        "adressage-durand-re2", BERNARD, [MARTIN], _reply_subject(reponse), clock.at(18, 8),
        "Parfait, merci. Tenez-moi au courant des résultats.\n\nBien à vous,\n"
        + _signature(BERNARD) + _quote(reponse, MARTIN.display_name), nil=NIL["estafette"],
        reply_to=reponse), [MARTIN], sent=BERNARD, seen={m})

    # 2. A plain lab result with its PDF, from the lab's APP box.
    lab_plain = add("labo-durand-1", _new(
        "labo-durand-1", LAB, [MARTIN], "Résultats d'analyses — DURAND Marie (prélèvement du "
        + (REFERENCE - dt.timedelta(days=17)).strftime("%d/%m/%Y") + ")", clock.at(17, 7),
        "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu des analyses de Mme DURAND "
        f"Marie, née le {_birth(DURAND)}.\n\nCe message est envoyé automatiquement par le "
        "laboratoire Bioval ; merci de ne pas y répondre.\n\nLaboratoire Bioval — 69003 Lyon",
        nil=NIL["lab"]), [MARTIN], seen={m})
    _attach_pdf(lab_plain, docs.make_pdf("Laboratoire Bioval — Compte rendu d'analyses", [
        "Ionogramme sanguin", "  Sodium ............ 141 mmol/L   (136-145)",
        "  Potassium ......... 3,3 mmol/L   (3,5-5,1)   *BAS*",
        "  Créatinine ........ 74 µmol/L    (45-90)   DFG CKD-EPI 82 mL/min/1,73m²",
        "Bilan d'HTA secondaire", "  Aldostérone ....... 412 pmol/L",
        "  Rénine active ..... 3,1 mUI/L", "  Rapport A/R ....... 133   (< 64)   *ÉLEVÉ*",
        "", "Commentaire : hypokaliémie et rapport aldostérone/rénine élevé ; à contrôler.",
        "Validé par Dr Nadia ROUSSEL, biologiste."]),
        "20261103_CR_analyses_DURAND_Marie.pdf")

    # 3. To the cardiology ORG box, and the box's answer written by a nurse.
    avis = add("avis-cardio-durand", _new(
        "avis-cardio-durand", MARTIN, [CARDIO],
        "Demande d'avis cardiologique — Mme DURAND Marie (HTA résistante)", clock.at(16, 11),
        "Bonjour,\n\nJe souhaiterais un avis pour Mme Marie DURAND, née le "
        f"{_birth(DURAND)}, INS {DURAND.ins}, HTA résistante avec hypokaliémie et rapport "
        "aldostérone/rénine élevé. Pourriez-vous me proposer un rendez-vous de consultation ?\n\n"
        "Merci d'avance,\n\n" + _signature(MARTIN), nil=NIL["estafette"]),
        [CARDIO], sent=MARTIN, seen=set(nurses))
    add("avis-cardio-durand-re", _new(
        "avis-cardio-durand-re", CARDIO, [MARTIN], _reply_subject(avis), clock.at(15, 10),
        "Bonjour Docteur,\n\nUn rendez-vous est proposé à Mme DURAND avec le Dr LAMBERT le "
        + (REFERENCE + dt.timedelta(days=9)).strftime("%d/%m/%Y") + " à 14 h 30 (consultation "
        "de cardiologie, bâtiment B, 2e étage). Merci de lui demander d'apporter ses derniers "
        "résultats et son traitement.\n\nCordialement,\n\nSophie PETIT, infirmière\n"
        "CHU Lumière — Cardiologie" + _quote(avis, MARTIN.display_name),
        nil=NIL["hospital"], reply_to=avis, on_behalf=PETIT), [MARTIN], seen={m})

    # 4. The two GPs arrange a replacement.
    rempla = add("remplacement", _new(
        "remplacement", MARTIN, [BERNARD], "Remplacement pendant les congés de fin d'année",
        clock.at(14, 19),
        "Bonsoir Claire,\n\nSerais-tu disponible pour assurer la continuité des soins de mes "
        "patients du 21 au 31 décembre ? Je laisserai les dossiers en cours et la liste des "
        "patients à surveiller (AVK, insulinothérapie).\n\nAmicalement,\nJean",
        nil=NIL["estafette"]), [BERNARD], sent=MARTIN, seen={b})
    add("remplacement-re", _new(
        "remplacement-re", BERNARD, [MARTIN], _reply_subject(rempla), clock.at(13, 8),
        "Bonjour Jean,\n\nC'est d'accord, sauf le 25. Je t'envoie le contrat de remplacement "
        "signé la semaine prochaine.\n\nAmicalement,\nClaire" + _quote(rempla, "Jean MARTIN"),
        nil=NIL["estafette"], reply_to=rempla), [MARTIN], sent=BERNARD, seen={m})

    # 5. A conversation with a patient (ECO.2.2.8: only the professional closes it).
    to_patient = add("patient-durand", _new(
        "patient-durand", MARTIN, [DURAND], "Vos résultats d'analyses et la suite",
        clock.at(12, 17),
        "Bonjour Madame DURAND,\n\nVos analyses montrent un potassium un peu bas et un bilan "
        "hormonal à compléter. Je vous ai obtenu un rendez-vous de cardiologie au CHU Lumière ; "
        "vous recevrez une convocation. D'ici là, poursuivez votre traitement sans le "
        "modifier.\n\nBien cordialement,\n\n" + _signature(MARTIN), nil=NIL["estafette"]),
        [DURAND], sent=MARTIN)
    patient_reply = add("patient-durand-re", _new(
        "patient-durand-re", DURAND, [MARTIN], _reply_subject(to_patient), clock.at(11, 20),
        "Bonsoir Docteur,\n\nMerci pour votre message. Dois-je arrêter le potassium que je "
        "prenais l'an dernier ? Et puis-je continuer la marche rapide tous les jours ?\n\n"
        "Marie Durand" + _quote(to_patient, MARTIN.display_name), nil=NIL["patient"],
        reply_to=to_patient), [MARTIN], seen={m})
    closing = _new(
        "patient-durand-fin", MARTIN, [DURAND], _reply_subject(patient_reply),
        _after(patient_reply, 38),
        "Bonsoir Madame DURAND,\n\nNe reprenez pas le potassium sans ordonnance ; nous en "
        "reparlerons après la consultation de cardiologie. La marche quotidienne est une très "
        "bonne chose, continuez.\n\nJe clos cette conversation ; vous pourrez m'écrire de "
        "nouveau lorsque je vous recontacterai.\n\nBien cordialement,\n\n" + _signature(MARTIN)
        + _quote(patient_reply, "Marie DURAND"), nil=NIL["estafette"], reply_to=patient_reply)
    closing["X-MSS-MES"] = "FIN"
    add("patient-durand-fin", closing, [DURAND], sent=MARTIN)

    # 6. Dr Bernard writes to a minor patient at his own address, with a PDF certificate.
    certificat = add("patient-garnier", _new(
        "patient-garnier", BERNARD, [GARNIER], "Ton certificat d'absence de contre-indication "
        "au sport", clock.at(10, 18),
        "Bonjour Hugo,\n\nComme convenu lors de la consultation avec ta mère, voici ton "
        "certificat pour le club de basket. Bonne saison !\n\n" + _signature(BERNARD),
        nil=NIL["estafette"]), [GARNIER], sent=BERNARD)
    _attach_pdf(certificat, docs.make_pdf("Certificat médical", [
        f"Je soussignée, {BERNARD.display_name}, certifie avoir examiné ce jour",
        f"Hugo GARNIER, né le {_birth(GARNIER)},",
        "et n'avoir constaté aucune contre-indication apparente à la pratique du basket-ball,",
        "y compris en compétition.", "", f"Fait à Lyon, le {clock.at(10, 18):%d/%m/%Y}.",
        BERNARD.display_name]), "Certificat_sport_GARNIER_Hugo.pdf")

    # 7. A message to a patient address that does not exist: bounced (DSN, ECO.2.3.1).
    bad_rcpt = f"{UNKNOWN_PATIENT_INS}@{world.PATIENT_DOMAIN}"
    bounced = _new("patient-inconnu", MARTIN, [bad_rcpt], "Compte rendu de votre consultation",
                   clock.at(9, 12), "Bonjour,\n\nVous trouverez ci-dessous le compte rendu de "
                   "votre consultation de ce jour.\n\nBien cordialement,\n\n"
                   + _signature(MARTIN), nil=NIL["estafette"])
    seeds.append(Seed("patient-inconnu", bounced, m, [], sent_copy=m))
    add("patient-inconnu-dsn", _dsn("patient-inconnu-dsn", bounced, MARTIN, bad_rcpt,
                                    _after(bounced, 1)), [MARTIN], envelope_from="")

    # 8. A shared patient between the GPs; a multi-recipient meeting invitation.
    add("inr-lefevre", _new(
        "inr-lefevre", MARTIN, [BERNARD], "M. LEFÈVRE Paul — INR instable", clock.at(8, 9),
        "Claire,\n\nM. Paul LEFÈVRE (né le 02/01/1958), que tu suis aussi pour son diabète, a "
        "eu un INR à 4,2 vendredi sous fluindione. J'ai baissé la dose à 15 mg un jour sur deux "
        "et prévu un contrôle jeudi. S'il te consulte d'ici là, tu es au courant.\n\nJean",
        nil=NIL["estafette"]), [BERNARD], sent=MARTIN, seen={b})
    add("rcp-invitation", _new(
        "rcp-invitation", BERNARD, [MARTIN, CARDIO], "RCP insuffisance cardiaque — ordre du jour "
        "du jeudi", clock.at(7, 14),
        "Bonjour à tous,\n\nLa prochaine réunion de concertation pluriprofessionnelle aura lieu "
        "jeudi à 13 h à la maison de santé (et en visio).\n\nOrdre du jour :\n"
        "1. M. LEFÈVRE : anticoagulation et insuffisance cardiaque\n"
        "2. Retour sur le protocole de télésurveillance\n3. Questions diverses\n\n"
        "Merci de me confirmer votre présence.\n\n" + _signature(BERNARD),
        nil=NIL["estafette"]), [MARTIN, CARDIO], sent=BERNARD, seen={m, PETIT.login})
    add("cardio-santoni", _new(
        "cardio-santoni", BERNARD, [CARDIO], "Demande de Holter ECG — Mme SANTONI Lucia",
        clock.at(6, 10),
        "Bonjour,\n\nMme Lucia SANTONI, née le 27/02/1982, se plaint de palpitations "
        "nocturnes depuis un mois ; ECG de repos normal au cabinet. Pourriez-vous programmer un "
        "Holter ECG de 24 heures ?\n\nMerci,\n\n" + _signature(BERNARD), nil=NIL["estafette"]),
        [CARDIO], sent=BERNARD)

    # 9. Between the nurses (personal boxes).
    planning = add("planning", _new(
        "planning", MOREAU, [PETIT], "Échange de garde samedi", clock.at(5, 15),
        "Salut Sophie,\n\nPeux-tu prendre ma garde de samedi ? Je prends ton dimanche 6 en "
        "échange.\n\nMerci !\nLucas", nil=NIL["hospital"]), [PETIT], sent=MOREAU)

    add("planning-re", _new(
        "planning-re", PETIT, [MOREAU], _reply_subject(planning), clock.at(5, 17),
        "OK pour moi, je préviens la cadre.\nSophie", nil=NIL["hospital"],
        reply_to=planning), [MOREAU], sent=PETIT, seen={MOREAU.login})

    # 11. A prescription for a patient, and her thanks (the professional started it).
    ordonnance = add("patient-santoni", _new(
        "patient-santoni", BERNARD, [SANTONI], "Votre ordonnance et la demande de Holter",
        clock.at(6, 11),
        "Bonjour Madame SANTONI,\n\nVous trouverez ci-joint votre ordonnance pour le bilan "
        "thyroïdien. Le service de cardiologie du CHU Lumière vous appellera pour le Holter."
        "\n\nBien cordialement,\n\n" + _signature(BERNARD), nil=NIL["estafette"]),
        [SANTONI], sent=BERNARD)
    _attach_pdf(ordonnance, docs.make_pdf("Ordonnance", [
        f"{BERNARD.display_name} — {BERNARD.structure}, {BERNARD.postcode} {BERNARD.city}",
        f"RPPS {BERNARD.rpps}", "", f"Mme Lucia SANTONI, née le {_birth(SANTONI)}", "",
        "Faire pratiquer au laboratoire : TSH, T4 libre, NFS, ionogramme sanguin.", "",
        "Signature électronique du prescripteur"]), "Ordonnance_SANTONI_Lucia.pdf")
    add("patient-santoni-re", _new(
        "patient-santoni-re", SANTONI, [BERNARD], _reply_subject(ordonnance), clock.at(5, 20),
        "Merci docteur, j'ai fait la prise de sang ce matin.\nLucia Santoni"
        + _quote(ordonnance, BERNARD.display_name), nil=NIL["patient"], reply_to=ordonnance),
        [BERNARD])

    # 12. A text + HTML message (multipart/alternative, ECO.2.2.4).
    protocole = _new(
        "protocole-diabete", MARTIN, [BERNARD], "Protocole de suivi du diabète de type 2 — "
        "proposition", clock.at(4, 21),
        "Claire,\n\nVoici la proposition de protocole commun :\n- HbA1c tous les 3 mois\n"
        "- fond d'œil annuel\n- microalbuminurie annuelle\n- examen des pieds à chaque "
        "consultation\n\nTon avis ?\nJean", nil=NIL["estafette"])
    protocole.add_alternative(
        "<html><body><p>Claire,</p><p>Voici la proposition de protocole commun :</p><ul>"
        "<li><b>HbA1c</b> tous les 3 mois</li><li>fond d'œil annuel</li>"
        "<li>microalbuminurie annuelle</li><li>examen des pieds à chaque consultation</li>"
        "</ul><p>Ton avis ?<br>Jean</p></body></html>", subtype="html")
    add("protocole-diabete", protocole, [BERNARD], sent=MARTIN)

    # 13. The lab's APP box warns the cardiology ORG box of a critical value.
    add("labo-critique", _new(
        "labo-critique", LAB, [CARDIO], "Valeur critique — LEFÈVRE Paul — troponine",
        clock.at(9, 3),
        "VALEUR CRITIQUE — appel téléphonique effectué à 03 h 20 auprès de l'interne de garde."
        f"\n\nPatient : LEFÈVRE Paul, né le {_birth(LEFEVRE)}\nTroponine T hs : 212 ng/L "
        "(< 14)\n\nLaboratoire Bioval — biologiste de garde", nil=NIL["lab"]), [CARDIO],
        seen={PETIT.login, MOREAU.login}, flagged={PETIT.login})

    pack = _packer()
    if pack is not None:
        _structured(seeds, add, pack, clock)

    # 10. A fresh, unread plain lab result.
    add("labo-garnier", _new(
        "labo-garnier", LAB, [MARTIN], "Résultats d'analyses — GARNIER Hugo", clock.at(1, 7),
        "Bonjour,\n\nLes résultats de Hugo GARNIER, né le "
        f"{_birth(GARNIER)}, sont disponibles : numération formule sanguine normale, ferritine "
        "à 18 µg/L (30-400).\n\nLaboratoire Bioval — 69003 Lyon", nil=NIL["lab"]), [MARTIN])
    seeds.sort(key=lambda seed: seed.message["Date"].datetime)
    for seed in seeds:
        _fix_boundaries(seed.message)
    return seeds


def _fix_boundaries(msg: EmailMessage) -> None:
    """Name every MIME boundary after the message's id, so equal runs give equal bytes.

    Must run before the message is first flattened (the generator would pick random ones).
    """
    key = str(msg["Message-ID"]).strip("<> ").split("@", 1)[0]
    for number, part in enumerate(msg.walk()):
        if part.is_multipart() and part.get_content_maintype() == "multipart" and (
                part.get_boundary() is None):
            part.set_boundary(f"=_estafette-{key}-{number}")


def _structured(seeds: list[Seed], add: Callable[..., EmailMessage], pack: PackXdm,
                clock: _Clock) -> None:
    """The XDM messages (ECO.2.1.x) and the receipts (MDN, ECO.3.1.6) that refer to them."""
    m, b = MARTIN.login, BERNARD.login
    bio = _Document(DURAND, docs.BIOLOGIST, "11502-2", "CR d'examens biologiques",
                    "Compte rendu d'examens biologiques", clock.at(3, 7), [
                        "Kaliémie de contrôle ........ 3,6 mmol/L  (3,5-5,1)",
                        "Aldostérone couché .......... 388 pmol/L",
                        "Rénine active ............... 2,8 mUI/L",
                        "Rapport A/R ................ 139",
                        "", "Conclusion : hyperaldostéronisme primaire probable."],
                    service_event=docs.Coded("18719-5", "Chimie", docs.LOINC))
    add("xdm-bio-durand", _xdm_message(
        pack, "xdm-bio-durand", LAB, [MARTIN], bio,
        "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu structuré (CDA R2) des analyses "
        "de Mme DURAND Marie.\n\nLaboratoire Bioval", nil=NIL["lab"]), [MARTIN], seen={m})
    tsh = _Document(SANTONI, docs.BIOLOGIST, "11502-2", "CR d'examens biologiques",
                    "Compte rendu d'examens biologiques", clock.at(4, 7), [
                        "TSH ultrasensible ........... 0,05 mUI/L  (0,27-4,20)  *BAS*",
                        "T4 libre .................... 28 pmol/L   (12-22)     *ÉLEVÉ*",
                        "", "Conclusion : profil d'hyperthyroïdie."],
                    service_event=docs.Coded("18719-5", "Chimie", docs.LOINC))
    add("xdm-bio-santoni", _xdm_message(
        pack, "xdm-bio-santoni", LAB, [BERNARD], tsh,
        "Bonjour,\n\nCompte rendu structuré des analyses de Mme SANTONI Lucia.\n\n"
        "Laboratoire Bioval", nil=NIL["lab"]), [BERNARD], seen={b})
    liaison = _Document(LEFEVRE, CARDIOLOGIST, "11490-0",
                        "Lettre de liaison à la sortie d'un établissement de soins",
                        "Lettre de liaison à la sortie", clock.at(2, 16), [
                            "Hospitalisation du 12 au 18 novembre en cardiologie.",
                            "Motif : décompensation cardiaque gauche sur FA rapide.",
                            "Traitement de sortie : apixaban 5 mg x2 (relais de la fluindione), "
                            "bisoprolol 2,5 mg, furosémide 40 mg.",
                            "Suivi : consultation de cardiologie à 1 mois, ionogramme à J7."])
    add("xdm-liaison-lefevre", _xdm_message(
        pack, "xdm-liaison-lefevre", CARDIO, [MARTIN, BERNARD], liaison,
        "Chers confrères,\n\nVeuillez trouver la lettre de liaison de sortie de M. LEFÈVRE "
        "Paul.\n\nCordialement,\nDr Antoine LAMBERT\nCHU Lumière — Cardiologie",
        nil=NIL["hospital"]), [MARTIN, BERNARD], flagged={m})

    # Dr Martin sends a consultation note to the cardiology box, which integrates it (MDN).
    note = _Document(DURAND, MARTIN, "11488-4", "Note de consultation",
                     "Note de consultation", clock.at(6, 18), [
                         "Motif : suivi HTA résistante.", "PA 154/94 aux deux bras.",
                         "Hypokaliémie à 3,3 ; rapport aldostérone/rénine élevé.",
                         "Conclusion : suspicion d'hyperaldostéronisme primaire ; avis demandé."])
    sent_note = add("xdm-note-durand", _xdm_message(
        pack, "xdm-note-durand", MARTIN, [CARDIO], note,
        "Bonjour,\n\nVoici ma note de consultation pour Mme DURAND, en vue de son rendez-vous."
        "\n\n" + _signature(MARTIN), nil=NIL["estafette"], mdn_to=m),
        [CARDIO], sent=MARTIN, seen={PETIT.login})
    add("xdm-note-durand-mdn", _mdn("xdm-note-durand-mdn", sent_note, CARDIO, MARTIN,
                                    _after(sent_note, 2)), [MARTIN], envelope_from="", seen={m})
    # The same for a patient the hospital does not know: integration error 902.
    stranger = Patient(UNKNOWN_PATIENT_INS, world.INS_NIR_OID, "Rolland", "Simone",
                       "1984-05-07", "F")
    wrong = _Document(stranger, MARTIN, "11488-4", "Note de consultation",
                      "Note de consultation", clock.at(4, 19), [
                          "Motif : bilan de palpitations.", "ECG : rythme sinusal, 72/min.",
                          "Conclusion : Holter ECG demandé."])
    sent_wrong = add("xdm-note-inconnue", _xdm_message(
        pack, "xdm-note-inconnue", MARTIN, [CARDIO], wrong,
        "Bonjour,\n\nNote de consultation de Mme ROLLAND en vue du Holter.\n\n"
        + _signature(MARTIN), nil=NIL["estafette"], mdn_to=m), [CARDIO], sent=MARTIN)
    add("xdm-note-inconnue-mdn", _mdn("xdm-note-inconnue-mdn", sent_wrong, CARDIO, MARTIN,
                                      _after(sent_wrong, 3), error=("902", "Identifiant de patient "
                                                                      "inconnu")),
        [MARTIN], envelope_from="")


# --------------------------------------------------------------------------------- delivery


def _wire(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP_POLICY)


def _lmtp_deliver(endpoints: dict[str, Any], seeds: list[Seed]) -> Counter[str]:
    lmtp = endpoints.get("lmtp")
    if not isinstance(lmtp, dict):
        raise SandboxError("seed_messages: Dovecot must start first (no 'lmtp' endpoint)")
    delivered: Counter[str] = Counter()
    try:
        client = smtplib.LMTP(str(lmtp["host"]), int(lmtp["port"]), timeout=10)
    except OSError as exc:
        raise SandboxError(f"seed_messages: cannot reach LMTP at {lmtp}: {exc}") from exc
    with client:
        for seed in seeds:
            data = _wire(seed.message)
            # One recipient per transaction: smtplib reads a single reply after DATA, while LMTP
            # answers once per recipient.
            for rcpt in seed.recipients:
                try:
                    client.sendmail(seed.envelope_from, [rcpt], data)
                except smtplib.SMTPException as exc:
                    raise SandboxError(f"seed_messages: LMTP refused {seed.key} for {rcpt}: "
                                       f"{exc}") from exc
                delivered[rcpt] += 1
    return delivered


def _imap_finish(endpoints: dict[str, Any], seeds: list[Seed]) -> Counter[str]:
    """As each person: APPEND their sent copies, STORE \\Seen/\\Flagged on what they received."""
    from imapclient import IMAPClient  # the project's dependency, imported when needed
    from imapclient.exceptions import IMAPClientError

    imaps = endpoints.get("imaps")
    if not isinstance(imaps, dict):
        raise SandboxError("seed_messages: Dovecot must start first (no 'imaps' endpoint)")
    context = ssl.create_default_context(cafile=str(endpoints["ca_file"]))
    sent_counts: Counter[str] = Counter()
    boxes_of = {person.login: [person.login] for person in world.PEOPLE}
    for box in world.MAILBOXES:
        for member in box.members:
            boxes_of[member.login].append(box.address)
    for person in world.PEOPLE:
        to_send = [s for s in seeds if s.sent_copy == person.login]
        marks = [s for s in seeds if person.login in s.seen_by | s.flagged_by]
        if not to_send and not marks:
            continue
        try:
            with IMAPClient(str(imaps["host"]), int(imaps["port"]), ssl=True,
                            ssl_context=context, timeout=10) as imap:
                imap.login(person.login, person.password)
                for seed in to_send:
                    imap.append("Sent", _wire(seed.message), flags=[b"\\Seen"],
                                msg_time=seed.message["Date"].datetime)
                    sent_counts[person.login] += 1
                for address in boxes_of[person.login]:
                    folder = "INBOX" if address == person.login else _shared_inbox(imap, address)
                    _mark(imap, folder, [s for s in marks if address in s.recipients],
                          person.login)
        except (OSError, IMAPClientError) as exc:
            raise SandboxError(f"seed_messages: IMAP as {person.login} failed: {exc}") from exc
    return sent_counts


def _shared_inbox(imap: Any, address: str) -> str:
    for _flags, _sep, name in imap.list_folders(world_shared_prefix(), "*"):
        if address.lower() in str(name).lower() and str(name).endswith("INBOX"):
            return str(name)
    for _flags, _sep, name in imap.list_folders(world_shared_prefix(), "*"):
        if str(name).lower().endswith(address.lower()):
            return str(name)
    raise SandboxError(f"seed_messages: the shared box {address} is not visible over IMAP")


def world_shared_prefix() -> str:
    from .dovecot import SHARED_PREFIX  # Dovecot decides where other users' boxes appear

    return SHARED_PREFIX


def _mark(imap: Any, folder: str, seeds: list[Seed], login: str) -> None:
    if not seeds:
        return
    imap.select_folder(folder)
    by_id: dict[str, int] = {}
    fetched = imap.fetch("1:*", ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    for uid, data in fetched.items():
        raw = data.get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]", b"").decode(errors="replace")
        value = raw.partition(":")[2].strip()
        by_id[value] = uid
    seen = [by_id[s.message_id] for s in seeds if login in s.seen_by and s.message_id in by_id]
    flagged = [by_id[s.message_id] for s in seeds
               if login in s.flagged_by and s.message_id in by_id]
    if seen:
        imap.add_flags(seen, [b"\\Seen"])
    if flagged:
        imap.add_flags(flagged, [b"\\Flagged"])
    imap.close_folder()


def deliver(ctx: Any, endpoints: dict[str, Any]) -> dict[str, Any]:
    """Build the demo messages, deliver them by LMTP, file sent copies and flags by IMAP.

    Returns ``{"messages": N, "by_mailbox": {address: INBOX count}, "sent": {login: count},
    "xdm": bool}``: N distinct messages, the INBOX deliveries per address and the Sent copies.
    """
    del ctx  # everything needed is in the endpoints
    seeds = build()
    delivered = _lmtp_deliver(endpoints, seeds)
    sent = _imap_finish(endpoints, seeds)
    return {"messages": len(seeds), "by_mailbox": dict(sorted(delivered.items())),
            "sent": dict(sorted(sent.items())),
            "xdm": any("X-MSS-CODECDA" in s.message for s in seeds)}
