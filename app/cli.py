"""The ``estafette`` command line (contract: shared/design/CLI.md). No Qt here.

``main()`` returns the exit code instead of exiting, so tests and the GUI launcher call it
in-process: 0 success, 1 refused/failed, 2 usage error, 3 server or network unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import functools
import getpass
import json
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from app import __version__
from app.domain.account import (
    Account,
    AuthMethod,
    Endpoint,
    MailboxKind,
    TlsMode,
    check_address,
)
from app.errors import (
    EXIT_FAILED,
    EXIT_USAGE,
    EstafetteError,
    InvalidInputError,
    UsageError,
    UserCancelled,
    UserFacingError,
)
from app.messages import message
from app.profile_location import default_profile_dir, profile_exists

if TYPE_CHECKING:
    from app.store.message_store import MessageSummary

PASSWORD_ENV = "ESTAFETTE_PASSWORD"
PASSPHRASE_ENV = "ESTAFETTE_PASSPHRASE"
NEW_PASSPHRASE_ENV = "ESTAFETTE_NEW_PASSPHRASE"
PSC_CLIENT_SECRET_ENV = "ESTAFETTE_PSC_CLIENT_SECRET"
LANGS = ("fr", "en")
T = TypeVar("T")


@dataclass(frozen=True)
class GuiRequest:
    """What the window needs from the command line to start."""

    profile_dir: Path
    key_file: Path | None
    lang: str = "fr"
    verbose: int = 0
    # True when --lang was on the command line: it then wins over the profile's language.
    lang_given: bool = False


GuiRunner = Callable[[GuiRequest], int]
Handler = Callable[[argparse.Namespace, "Context"], int]


@dataclass(frozen=True)
class Context:
    lang: str
    profile_dir: Path
    key_file: Path | None
    gui_runner: GuiRunner | None

    def say(self, key: str, **values: object) -> str:
        return message(key, self.lang, **values)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns the exit code and the wording."""

    def error(self, message_text: str) -> NoReturn:
        raise UsageError(
            f"Commande incorrecte : {message_text}.",
            message_en=f"Invalid command line: {message_text}.",
            hint=f"Voir « {self.prog} --help ».",
            hint_en=f"See “{self.prog} --help”.",
        )


# --- parser ------------------------------------------------------------------------------------


def _upper(text: str) -> str:
    return text.upper()


def _lower(text: str) -> str:
    return text.lower()


_ENVIRONMENT_HELP = f"""\
variables d'environnement (un secret n'est jamais un argument) :
  {PASSWORD_ENV}           mot de passe de la boîte (account add) ou du PKCS#12 d'une
                               boîte APP ; sinon demandé dans le terminal
  {PASSPHRASE_ENV}         phrase de passe du profil quand sa clé en est protégée (sinon
                               demandée dans le terminal) ; à la création d'un profil, elle
                               protège sa clé
  {NEW_PASSPHRASE_ENV}     nouvelle phrase de passe (passphrase set) ; sinon demandée
                               deux fois dans le terminal
  {PSC_CLIENT_SECRET_ENV}  secret client Pro Santé Connect (account add --auth psc)

codes de sortie : 0 succès, 1 refus ou échec, 2 commande incorrecte, 3 serveur injoignable"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="estafette",
        description="Estafette — messagerie sécurisée de santé (MSSanté).",
        epilog=_ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="dossier du profil chiffré")
    parser.add_argument(
        "--key-file", type=Path, metavar="FILE", help="fichier de clé au lieu du trousseau système"
    )
    parser.add_argument("--lang", choices=LANGS, default=None, help="langue des messages")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="détails (traces)")
    parser.set_defaults(handler=_cmd_gui, command_name="gui")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)

    sub.add_parser("gui", help="ouvrir la fenêtre (par défaut)").set_defaults(handler=_cmd_gui)
    sub.add_parser("version", help="afficher la version").set_defaults(handler=_cmd_version)

    account = sub.add_parser("account", help="comptes de messagerie")
    account_sub = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    add = account_sub.add_parser("add", help="ajouter un compte")
    add.add_argument("--address", required=True, metavar="ADDR")
    add.add_argument("--kind", required=True, type=_upper, choices=["PER", "ORG", "APP"])
    add.add_argument("--imap", required=True, metavar="HOST:PORT")
    add.add_argument("--imap-tls", required=True, type=_lower, choices=["starttls", "implicit"])
    add.add_argument("--smtp", required=True, metavar="HOST:PORT")
    add.add_argument("--smtp-tls", required=True, type=_lower, choices=["starttls", "implicit"])
    add.add_argument(
        "--auth", required=True, type=_lower, choices=["password", "psc", "certificate"]
    )
    add.add_argument("--login", required=True, metavar="LOGIN")
    add.add_argument("--ca-file", type=Path, metavar="FILE")
    add.add_argument("--certificate", type=Path, metavar="P12")
    add.add_argument("--national-id", metavar="ID")
    add.add_argument("--display-name", metavar="NAME")
    add.add_argument("--psc-issuer", metavar="URL", help="fournisseur Pro Santé Connect")
    add.add_argument("--psc-discovery-url", metavar="URL")
    add.add_argument("--psc-client-id", metavar="ID")
    add.add_argument(
        "--psc-client-auth", type=_lower, choices=["client_secret_basic", "public"],
        default="client_secret_basic",
    )
    add.set_defaults(handler=_cmd_account_add, command_name="account add")
    lst = account_sub.add_parser("list", help="lister les comptes")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_cmd_account_list, command_name="account list")

    sync = sub.add_parser("sync", help="synchroniser")
    sync.add_argument("--account", metavar="ADDR")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true")
    mode.add_argument("--watch", action="store_true")
    sync.set_defaults(handler=_cmd_sync, command_name="sync")

    search = sub.add_parser("search", help="rechercher des messages")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--account", metavar="ADDR")
    search.add_argument("--limit", type=int, metavar="N")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_cmd_search, command_name="search")

    show = sub.add_parser("show", help="afficher un message")
    show.add_argument("message_id", metavar="MESSAGE_ID")
    show.add_argument("--json", action="store_true")
    show.add_argument("--raw", action="store_true")
    show.set_defaults(handler=_cmd_show, command_name="show")

    send = sub.add_parser("send", help="envoyer un message")
    send.add_argument("--from", dest="from_", required=True, metavar="ADDR")
    send.add_argument("--to", action="append", required=True, metavar="ADDR")
    send.add_argument("--cc", action="append", default=[], metavar="ADDR")
    send.add_argument("--subject", metavar="S")
    send.add_argument("--body-file", type=Path, metavar="F")
    send.add_argument("--attach", action="extend", nargs="+", default=[], type=Path, metavar="FILE")
    send.add_argument("--cda", action="extend", nargs="+", default=[], type=Path, metavar="FILE")
    send.add_argument("--request-mdn", action="store_true")
    send.add_argument("--json", action="store_true")
    send.add_argument("--confirm-exception", action="append", default=[], metavar="ADDR")
    send.add_argument("--end-conversation", action="store_true",
                      help="clore la conversation avec le patient (X-MSS-MES: FIN)")
    send.add_argument("--in-reply-to", metavar="MESSAGE_ID")
    send.set_defaults(handler=_cmd_send, command_name="send")

    outbox = sub.add_parser("outbox", help="boîte d'envoi")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    olist = outbox_sub.add_parser("list")
    olist.add_argument("--json", action="store_true")
    olist.set_defaults(handler=_cmd_outbox_list, command_name="outbox list")
    retry = outbox_sub.add_parser("retry")
    retry.add_argument("id", metavar="ID")
    retry.set_defaults(handler=_cmd_outbox_retry, command_name="outbox retry")
    mdn = outbox_sub.add_parser("mdn", help="demandes d'accusé de lecture en attente")
    mdn.add_argument("--account", metavar="ADDR")
    mdn_action = mdn.add_mutually_exclusive_group()
    mdn_action.add_argument("--send", metavar="ID", help="envoyer l'accusé demandé")
    mdn_action.add_argument("--decline", metavar="ID", help="refuser (ne plus demander)")
    mdn.add_argument("--json", action="store_true")
    mdn.set_defaults(handler=_cmd_outbox_mdn, command_name="outbox mdn")

    whitelist = sub.add_parser("whitelist", help="liste blanche des domaines MSSanté")
    wl_sub = whitelist.add_subparsers(dest="whitelist_command", metavar="ACTION", required=True)
    refresh = wl_sub.add_parser("refresh")
    source = refresh.add_mutually_exclusive_group()
    source.add_argument("--url", metavar="URL")
    source.add_argument("--file", type=Path, metavar="F")
    refresh.add_argument("--ca-file", type=Path, metavar="FILE")
    refresh.set_defaults(handler=_cmd_whitelist_refresh, command_name="whitelist refresh")
    check = wl_sub.add_parser("check")
    check.add_argument("addresses", nargs="+", metavar="ADDR")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_cmd_whitelist_check, command_name="whitelist check")

    xdm = sub.add_parser("xdm", help="paquets XDM (IHE XDM)")
    xdm_sub = xdm.add_subparsers(dest="xdm_command", metavar="ACTION", required=True)
    pack = xdm_sub.add_parser("pack")
    pack.add_argument("--cda", action="extend", nargs="+", required=True, type=Path, metavar="FILE")
    pack.add_argument("--pdf", action="extend", nargs="+", default=[], type=Path, metavar="FILE")
    pack.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.zip")
    pack.set_defaults(handler=_cmd_xdm_pack, command_name="xdm pack")
    inspect = xdm_sub.add_parser("inspect")
    inspect.add_argument("zip", type=Path, metavar="ZIP")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(handler=_cmd_xdm_inspect, command_name="xdm inspect")

    directory = sub.add_parser("directory", help="annuaire santé")
    dir_sub = directory.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    dimport = dir_sub.add_parser("import")
    dimport.add_argument("file", type=Path, metavar="FILE")
    dimport.set_defaults(handler=_cmd_directory_import, command_name="directory import")
    dsearch = dir_sub.add_parser("search")
    dsearch.add_argument("--name", metavar="N")
    dsearch.add_argument("--city", metavar="C")
    dsearch.add_argument("--postcode", metavar="P")
    dsearch.add_argument("--profession", metavar="P")
    dsearch.add_argument("--specialty", metavar="S")
    dsearch.add_argument("--type", type=_upper, choices=["PER", "ORG", "APP"])
    dsearch.add_argument("--rpps", metavar="ID")
    dsearch.add_argument("--json", action="store_true")
    # Extensions of the contract (CLI.md): the other criteria of issue #6, a limit, offline only.
    dsearch.add_argument("--query", metavar="TEXT", help="nom ou adresse (début)")
    dsearch.add_argument("--first-name", metavar="N")
    dsearch.add_argument("--structure", metavar="S")
    dsearch.add_argument("--department", metavar="D")
    dsearch.add_argument("--limit", type=int, default=50, metavar="N")
    dsearch.add_argument("--offline", action="store_true", help="annuaire hors ligne seulement")
    dsearch.set_defaults(handler=_cmd_directory_search, command_name="directory search")

    audit = sub.add_parser("audit", help="journal d'audit")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    export = audit_sub.add_parser("export")
    export.add_argument("--since", metavar="YYYY-MM-DD")
    export.add_argument("--csv", type=Path, metavar="FILE")
    export.set_defaults(handler=_cmd_audit_export, command_name="audit export")

    crl = sub.add_parser("crl", help="listes de révocation (CRL) des autorités des serveurs")
    crl_sub = crl.add_subparsers(dest="crl_command", metavar="ACTION", required=True)
    crl_set = crl_sub.add_parser("set", help="les adresses où télécharger les CRL "
                                             "(aucune : vérification désactivée)")
    crl_set.add_argument("urls", nargs="*", metavar="URL")
    crl_set.set_defaults(handler=_cmd_crl_set, command_name="crl set")
    crl_refresh = crl_sub.add_parser("refresh", help="télécharger maintenant")
    crl_refresh.set_defaults(handler=_cmd_crl_refresh, command_name="crl refresh")
    crl_status = crl_sub.add_parser("status", help="les CRL gardées")
    crl_status.add_argument("--json", action="store_true")
    crl_status.set_defaults(handler=_cmd_crl_status, command_name="crl status")

    passphrase = sub.add_parser("passphrase", help="phrase de passe protégeant la clé du profil")
    pass_sub = passphrase.add_subparsers(dest="passphrase_command", metavar="ACTION",
                                         required=True)
    pass_sub.add_parser("set", help="protéger la clé par une phrase de passe, ou en changer"
                        ).set_defaults(handler=_cmd_passphrase_set, command_name="passphrase set")
    pass_sub.add_parser("remove", help="ne plus protéger la clé par une phrase de passe"
                        ).set_defaults(handler=_cmd_passphrase_remove,
                                       command_name="passphrase remove")
    return parser


# --- commands ----------------------------------------------------------------------------------


def _cmd_gui(args: argparse.Namespace, ctx: Context) -> int:
    if ctx.gui_runner is None:
        print(ctx.say("no_gui"), file=sys.stderr)
        return EXIT_USAGE
    request = GuiRequest(
        profile_dir=ctx.profile_dir,
        key_file=ctx.key_file,
        lang=ctx.lang,
        verbose=args.verbose,
        lang_given=getattr(args, "lang", None) is not None,
    )
    return ctx.gui_runner(request)


def _cmd_version(args: argparse.Namespace, ctx: Context) -> int:
    print(f"Estafette {__version__}")
    return 0


def _existing_file(path: Path | None, lang: str) -> str | None:
    if path is None:
        return None
    resolved = path.expanduser().absolute()
    if not resolved.is_file() or not os.access(resolved, os.R_OK):
        raise InvalidInputError(
            message("file_missing", "fr", path=path),
            message_en=message("file_missing", "en", path=path),
        )
    return str(resolved)


def _open(ctx: Context, *, create: bool = True) -> Any:
    """Open the profile. Its passphrase, when it has one, comes from ``ESTAFETTE_PASSPHRASE``
    or is asked once in a terminal (never an argument); a profile created while the variable is
    set gets its key wrapped by it. Missing or wrong: a clear sentence, exit 1, nothing written."""
    from app.composition import open_profile  # the whole core: only when a profile is needed

    def attempt(passphrase: str | None) -> Any:
        return open_profile(
            ctx.profile_dir,
            key_file=ctx.key_file,
            passphrase=passphrase,
            create=create,
            # Short-lived commands must not read a multi-gigabyte store through at every start:
            # the full check runs when the last session ended abruptly or the last one is a
            # week old.
            integrity_check="auto",
        )

    return _with_passphrase(ctx, attempt, "Phrase de passe du profil : ", "Profile passphrase: ")


def _with_passphrase(ctx: Context, attempt: Callable[[str | None], T], prompt_fr: str,
                     prompt_en: str) -> T:
    """``attempt(passphrase)`` with the profile's passphrase: ESTAFETTE_PASSPHRASE, else (only
    when the key turns out to be protected) asked once in a terminal."""
    from app.errors import PassphraseRequiredError, WrongPassphraseError

    try:
        return attempt(os.environ.get(PASSPHRASE_ENV) or None)
    except PassphraseRequiredError:
        if sys.stdin is None or not sys.stdin.isatty():
            raise PassphraseRequiredError(
                hint=f"Définissez la variable d'environnement {PASSPHRASE_ENV} ou lancez la "
                "commande dans un terminal.",
                hint_en=f"Set the {PASSPHRASE_ENV} environment variable or run the command in "
                "a terminal.",
            ) from None
        try:
            typed = getpass.getpass(prompt_fr if ctx.lang != "en" else prompt_en)
        except (EOFError, KeyboardInterrupt) as exc:
            raise UserCancelled() from exc
        if not typed:
            raise PassphraseRequiredError() from None
    except WrongPassphraseError:
        raise WrongPassphraseError(
            hint=f"Vérifiez la variable d'environnement {PASSPHRASE_ENV}.",
            hint_en=f"Check the {PASSPHRASE_ENV} environment variable.",
        ) from None
    return attempt(typed)


def _read_password(account: Account, ctx: Context) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        password = from_env
    elif sys.stdin is not None and sys.stdin.isatty():
        try:
            password = getpass.getpass(
                ctx.say("password_prompt", login=account.login, address=account.address)
            )
        except (EOFError, KeyboardInterrupt) as exc:
            raise UserCancelled() from exc
    else:
        raise InvalidInputError(
            message("password_needed", "fr"), message_en=message("password_needed", "en")
        )
    if not password:
        raise InvalidInputError(
            message("password_empty", "fr"), message_en=message("password_empty", "en")
        )
    return password


def _cmd_account_add(args: argparse.Namespace, ctx: Context) -> int:
    # Validate everything before touching (or creating) the profile.
    account = Account(
        address=check_address(args.address),
        kind=MailboxKind(args.kind),
        login=args.login,
        imap=Endpoint.parse(args.imap, TlsMode(args.imap_tls)),
        smtp=Endpoint.parse(args.smtp, TlsMode(args.smtp_tls)),
        auth=AuthMethod(args.auth),
        display_name=args.display_name,
        ca_file=_existing_file(args.ca_file, ctx.lang),
        certificate=_existing_file(args.certificate, ctx.lang),
        national_id=args.national_id,
    )
    psc = _psc_settings(args, account)
    with _open(ctx) as profile:
        profile.accounts.ensure_new(account)  # before asking for a password
        password = _read_password(account, ctx) if account.auth is AuthMethod.PASSWORD else None
        if account.auth is AuthMethod.CERTIFICATE:
            # The PKCS#12 password (ESTAFETTE_PASSWORD or asked): checked now, kept in the
            # SecretStore, never asked again.
            profile.credentials.save_certificate_password(account, _read_password(account, ctx))
        if psc is not None:
            profile.credentials.save_psc_settings(
                account, psc, os.environ.get(PSC_CLIENT_SECRET_ENV) or None
            )
        profile.accounts.add(account, password=password)
    print(ctx.say("account_added", address=account.address))
    return 0


def _psc_settings(args: argparse.Namespace, account: Account) -> Any:
    """The Pro Santé Connect settings of ``account add --auth psc`` (checked before anything is
    stored); None for the other methods."""
    from app.services.credentials import CLIENT_SECRET_BASIC, PscAccountSettings

    if account.auth is AuthMethod.CERTIFICATE and account.certificate is None:
        raise UsageError(
            "--auth certificate demande --certificate FICHIER.p12.",
            message_en="--auth certificate needs --certificate FILE.p12.",
        )
    if account.auth is not AuthMethod.PSC:
        return None
    if not args.psc_issuer or not args.psc_client_id or not account.national_id:
        raise UsageError(
            "--auth psc demande --psc-issuer URL, --psc-client-id ID et --national-id "
            "(8+RPPS ou 0+ADELI).",
            message_en="--auth psc needs --psc-issuer URL, --psc-client-id ID and --national-id.",
        )
    settings = PscAccountSettings(
        issuer=args.psc_issuer.rstrip("/"),
        client_id=args.psc_client_id,
        client_auth=args.psc_client_auth,
        discovery_url=args.psc_discovery_url,
    )
    if settings.client_auth == CLIENT_SECRET_BASIC and not os.environ.get(PSC_CLIENT_SECRET_ENV):
        raise InvalidInputError(
            f"Le secret client Pro Santé Connect est attendu dans {PSC_CLIENT_SECRET_ENV}.",
            message_en=f"The Pro Santé Connect client secret is expected in "
            f"{PSC_CLIENT_SECRET_ENV}.",
        )
    return settings


def _with_login(profile: Any, account: Account, ctx: Context, work: Callable[[], Any]) -> Any:
    """Run ``work`` (blocking) with the account's credential at hand. A PSC account logs in
    first through CIBA in the terminal (binding code shown, Ctrl+C cancels); its tokens live in
    memory for this command only and are dropped at the end."""
    if account.auth is not AuthMethod.PSC:
        return work()
    return asyncio.run(_logged_in(profile, account, ctx, lambda: asyncio.to_thread(work)))


async def _logged_in(
    profile: Any, account: Account, ctx: Context, work: Callable[[], Awaitable[Any]]
) -> Any:
    """Await ``work()`` inside a PSC session when the account needs one."""
    if account.auth is not AuthMethod.PSC:
        return await work()
    service, _session = await _psc_login(profile, account, ctx)
    try:
        return await work()
    finally:
        profile.credentials.detach_session(account)
        await service.aclose()


async def _psc_login(profile: Any, account: Account, ctx: Context) -> Any:
    from app.events import Event
    from app.services.auth_events import Approved, WaitingForApproval

    def show(event: Event) -> None:
        profile.events.publish(event)
        if isinstance(event, WaitingForApproval):
            if ctx.lang == "en":
                text = (f"Verification code: {event.binding_code} — approve on your card or "
                        "e-CPS app (Ctrl+C to cancel)")
            else:
                text = (f"Code de vérification : {event.binding_code} — validez sur votre "
                        "carte/application e-CPS (Ctrl+C pour annuler)")
            print(text, file=sys.stderr, flush=True)
        elif isinstance(event, Approved):
            who = event.display_name or event.subject
            print(("Connected: " if ctx.lang == "en" else "Connecté : ") + who, file=sys.stderr,
                  flush=True)

    return await profile.credentials.login_psc(account, publish=show)


def account_to_json(account: Account) -> dict[str, Any]:
    return {
        "address": account.address,
        "kind": account.kind.value,
        "login": account.login,
        "imap": str(account.imap),
        "imap_tls": account.imap.tls.value,
        "smtp": str(account.smtp),
        "smtp_tls": account.smtp.tls.value,
        "auth": account.auth.value,
        "display_name": account.display_name,
    }


def _cmd_account_list(args: argparse.Namespace, ctx: Context) -> int:
    accounts: list[Account] = []
    if profile_exists(ctx.profile_dir):
        with _open(ctx, create=False) as profile:
            accounts = profile.accounts.list()
    if args.json:
        print(json.dumps([account_to_json(a) for a in accounts], ensure_ascii=False, indent=2))
        return 0
    if not accounts:
        print(ctx.say("no_accounts"))
        return 0
    login_label = "login" if ctx.lang == "en" else "identifiant"
    for a in accounts:
        name = f" — {a.display_name}" if a.display_name else ""
        print(
            f"{a.address} ({a.kind.value}){name}  {login_label} {a.login}  "
            f"IMAP {a.imap} {a.imap.tls.value}  SMTP {a.smtp} {a.smtp.tls.value}  "
            f"auth {a.auth.value}"
        )
    return 0


# --- sync, search, show ------------------------------------------------------------------------


def _quota_text(ctx: Context, used: int | None, limit: int | None) -> str:
    def size(n: int) -> str:
        units = ("o", "Ko", "Mo", "Go", "To") if ctx.lang == "fr" else ("B", "KB", "MB", "GB",
                                                                          "TB")
        value, unit = float(n), 0
        while value >= 1024 and unit < len(units) - 1:
            value, unit = value / 1024, unit + 1
        text = f"{value:.0f}" if value >= 10 or unit == 0 else f"{value:.1f}".rstrip("0")
        text = text.rstrip(".")
        return f"{text.replace('.', ',') if ctx.lang == 'fr' else text} {units[unit]}"

    if used is None:
        return ""
    if limit is None:
        return ctx.say("sync_quota_nolimit", used=size(used))
    return ctx.say("sync_quota", used=size(used), limit=size(limit))


def _cmd_sync_watch(ctx: Context, profile: Any, accounts: list[Any]) -> int:
    """``sync --watch``: push (IDLE) for every account until Ctrl-C; network losses are retried."""
    import concurrent.futures

    from app.events import SyncFinished, WatchStateChanged
    from app.services.sync_runner import SyncRunner

    def on_state(event: WatchStateChanged) -> None:
        if event.state == "disconnected":
            print(ctx.say("watch_retry", address=event.account, error=event.error,
                          delay=f"{event.retry_in:.0f}"), file=sys.stderr, flush=True)
        elif event.state == "idle":
            print(ctx.say("watch_idle", address=event.account), flush=True)

    def on_finished(event: SyncFinished) -> None:
        if event.new or event.changed or event.removed:
            print(ctx.say("sync_done", address=event.account, new=event.new,
                          changed=event.changed, removed=event.removed, bodies="—", broken=""),
                  flush=True)

    unsubscribe = [profile.events.subscribe(WatchStateChanged, on_state),
                   profile.events.subscribe(SyncFinished, on_finished)]
    runner = SyncRunner(profile.sync)
    handles = runner.watch_all(accounts)
    worst = 0
    try:
        # Short waits so that Ctrl+C is seen at once on the main thread.
        while any(h.running for h in handles):
            concurrent.futures.wait([h.future for h in handles], timeout=0.5,
                                    return_when=concurrent.futures.FIRST_EXCEPTION)
            if any(h.future.done() and h.future.exception() for h in handles):
                break
    except KeyboardInterrupt:
        print(ctx.say("watch_stopped"), file=sys.stderr)
    finally:
        for handle in handles:
            handle.stop()
        for handle in handles:
            error = handle.future.exception()
            if isinstance(error, UserFacingError):
                print(ctx.say("sync_failed", address=handle.account, error=error.text(ctx.lang)),
                      file=sys.stderr)
                worst = max(worst, error.exit_code)
        runner.shutdown()
        for undo in unsubscribe:
            undo()
    return worst


def _cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    if args.watch:
        with _open(ctx, create=False) as profile:
            accounts = (
                [profile.accounts.get(args.account)] if args.account else profile.accounts.list()
            )
            if not accounts:
                print(ctx.say("no_accounts"))
                return 0
            return _cmd_sync_watch(ctx, profile, accounts)
    worst = 0
    with _open(ctx, create=False) as profile:
        accounts = (
            [profile.accounts.get(args.account)] if args.account else profile.accounts.list()
        )
        if not accounts:
            print(ctx.say("no_accounts"))
            return 0
        for account in accounts:
            try:
                work = functools.partial(_sync_and_answer, profile, account, ctx)
                report = _with_login(profile, account, ctx, work)
            except UserCancelled:
                raise
            except UserFacingError as exc:
                if len(accounts) == 1:
                    raise
                print(ctx.say("sync_failed", address=account.address, error=exc.text(ctx.lang)),
                      file=sys.stderr)
                worst = max(worst, exc.exit_code)
                continue
            broken = ctx.say("sync_broken", count=report.broken) if report.broken else ""
            print(ctx.say("sync_done", address=account.address, new=report.new,
                          changed=report.changed, removed=report.removed, bodies=report.bodies,
                          broken=broken))
            if report.quota is not None:
                quota = _quota_text(ctx, report.quota.storage_used, report.quota.storage_limit)
                if quota:
                    print(quota)
    return worst


def _sync_and_answer(profile: Any, account: Account, ctx: Context) -> Any:
    """One sync pass, then the read receipts it queued for this account are sent (APP boxes
    answer automatically; PER/ORG requests left to the user are only counted)."""
    from app.domain.outgoing import OutboxState

    report = profile.sync.sync_account(account)
    # The command ends with the process: let the background document indexer finish its work.
    profile.documents.wait_idle()
    # The read receipts the pass asked for are worked out on a thread of their own: wait.
    profile.incoming.wait_idle()
    for request in profile.receipts.store.mdn_requests("queued"):
        if request.account_address.lower() != account.address.lower():
            continue
        if request.outbox_item_id is None:
            continue
        item = profile.outbox.store.get(request.outbox_item_id)
        if item.state is OutboxState.QUEUED:
            result = asyncio.run(profile.outbox.process(item.id, force=True))
            if result.error is not None:
                print(result.error.text(ctx.lang), file=sys.stderr)
    pending = [r for r in profile.receipts.pending_mdns()
               if r.account_address.lower() == account.address.lower()]
    if pending:
        print(
            f"{account.address}: {len(pending)} read receipt request(s) awaiting your decision."
            if ctx.lang == "en"
            else f"{account.address} : {len(pending)} demande(s) d'accusé de lecture en attente "
            "de votre décision.",
            file=sys.stderr,
        )
    return report


def _iso(timestamp: int) -> str | None:
    if not timestamp:
        return None
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_text(name: str, addr: str) -> str:
    if name and addr:
        return f"{name} <{addr}>"
    return name or addr


def summary_to_json(summary: MessageSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "account": summary.account,
        "folder": summary.folder,
        "uid": summary.uid,
        "date": _iso(summary.date),
        "from": _from_text(summary.from_name, summary.from_addr),
        "subject": summary.subject,
        "message_id": summary.message_id,
        "flags": sorted(summary.flags),
        "has_attachments": summary.has_attachments,
        "state": summary.state,
    }


def _cmd_search(args: argparse.Namespace, ctx: Context) -> int:
    limit = 100 if args.limit is None else args.limit
    if limit < 1:
        raise InvalidInputError(
            "--limit doit être un entier positif.", message_en="--limit must be a positive integer."
        )
    with _open(ctx, create=False) as profile:
        account_id = None
        if args.account:
            account = profile.accounts.get(args.account)
            account_id = profile.messages.account_id(account.address, account.login)
        results = profile.messages.search(args.query, account_id=account_id, limit=limit)
    if args.json:
        print(json.dumps([summary_to_json(r) for r in results], ensure_ascii=False, indent=2))
        return 0
    if not results:
        print(ctx.say("no_results"))
        return 0
    for r in results:
        when = _iso(r.date) or "-"
        print(f"{r.id}\t{when[:16].replace('T', ' ')}\t{_from_text(r.from_name, r.from_addr)}"
              f"\t{r.subject}")
    return 0


def _cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from app.protocols.mime.index_text import extract

    with _open(ctx, create=False) as profile:
        ident = str(args.message_id).strip()
        ids = [int(ident)] if ident.isdigit() else profile.messages.find_by_header_id(ident)
        detail = profile.messages.get(ids[0]) if ids else None
        if detail is None:
            raise InvalidInputError(
                message("message_missing", "fr", id=ident),
                message_en=message("message_missing", "en", id=ident),
            )
        raw = profile.messages.raw(detail.summary.id)
        # ECO.4.1.1: a read is traced when the message is shown, before anything is printed
        # (no trace, no display), by reference only; whoever holds the account here reads it.
        profile.audit.record_read(detail.summary.id)
    if args.raw:
        if raw is None:
            raise InvalidInputError(message("body_missing", "fr"),
                                    message_en=message("body_missing", "en"))
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return 0
    text = extract(raw).text if raw is not None else None
    if args.json:
        data = summary_to_json(detail.summary)
        data.update({
            "to": detail.to_display,
            "cc": detail.cc_display,
            "text": text,
            "attachments": [{"name": a.name, "type": a.type, "size": a.size}
                            for a in detail.attachments],
            "documents": [],
            "broken_reason": detail.broken_reason,
        })
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    s = detail.summary
    fr = ctx.lang != "en"
    print(f"{'De' if fr else 'From'} : {_from_text(s.from_name, s.from_addr)}")
    print(f"{'À' if fr else 'To'} : {detail.to_display}")
    if detail.cc_display:
        print(f"Cc : {detail.cc_display}")
    print(f"{'Objet' if fr else 'Subject'} : {s.subject}")
    print(f"Date : {_iso(s.date) or '-'}")
    for a in detail.attachments:
        print(f"{'Pièce jointe' if fr else 'Attachment'} : {a.name} ({a.type}, {a.size} o)")
    print()
    print(text if text is not None else ctx.say("body_missing"))
    return 0


def _cmd_audit_export(args: argparse.Namespace, ctx: Context) -> int:
    """The audit trail as CSV (ECO.4.1.1–2), on stdout or into --csv FILE."""
    from app.services.audit_service import export_csv_to_path, parse_day

    since = parse_day(args.since) if args.since else None
    with _open(ctx, create=False) as profile:
        if args.csv is None:
            profile.audit.export_csv(sys.stdout, since=since)
            return 0
        count = export_csv_to_path(profile.audit, args.csv, since=since)
    done = (
        f"{count} entries exported to {args.csv}."
        if ctx.lang == "en"
        else f"{count} entrée(s) exportée(s) vers {args.csv}."
    )
    print(done, file=sys.stderr)
    return 0


# --- send, outbox, whitelist, xdm (issue 4) ----------------------------------------------------


def _read_file_bytes(path: Path) -> bytes:
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            message("file_missing", "fr", path=path),
            message_en=message("file_missing", "en", path=path),
        ) from exc


def outbox_item_to_json(item: Any, receipts: dict[str, Any] | None = None) -> dict[str, Any]:
    """``receipts``: the strongest receipt per recipient (lower-case address), from
    ``ReceiptService.recipient_status``."""
    receipts = receipts or {}

    def stamp(value: float | None) -> str | None:
        if value is None:
            return None
        moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "id": item.id,
        "state": item.state.value,
        "account": item.account_address,
        "message_id": item.message_id,
        "subject": item.subject,
        "size": item.size,
        "attempts": item.attempts,
        "created_at": stamp(item.created_at),
        "not_before": stamp(item.not_before),
        "submitted_at": stamp(item.submitted_at),
        "filed_at": stamp(item.filed_at),
        "queue_id": item.queue_id,
        "unconfirmed": item.unconfirmed,
        "error": item.last_error,
        "recipients": [
            {
                "address": r.address,
                "kind": r.kind.value,
                "status": r.status.value,
                "code": r.code,
                "detail": r.detail,
                **_receipt_json(receipts.get(r.address.lower())),
            }
            for r in item.recipients
        ],
    }


def _receipt_json(record: Any) -> dict[str, Any]:
    if record is None:
        return {"receipt": None}
    error = None
    if record.error_code is not None:
        error = {"code": record.error_code, "label": record.error_label}
    return {
        "receipt": record.status,
        "receipt_kind": record.kind,
        "receipt_status_code": record.rfc_status,
        "integration_error": error,
    }


_STATE_FR = {
    "queued": "en attente",
    "submitting": "en cours d'envoi",
    "submitted": "transmis au serveur",
    "filed": "envoyé (copie dans Envoyés)",
    "failed": "échec",
    "retry_wait": "nouvel essai prévu",
    "cancelled": "annulé",
}
_RECIPIENT_FR = {
    "pending": "en attente",
    "accepted": "accepté",
    "failed": "refusé",
    "deferred": "différé",
}


def _print_outbox_result(result: Any, ctx: Context, as_json: bool) -> int:
    item = result.item
    error = result.error
    if as_json:
        document = outbox_item_to_json(item)
        document["notes"] = list(result.notes)
        document["error_text"] = error.text(ctx.lang) if error is not None else None
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        state = item.state.value if ctx.lang == "en" else _STATE_FR.get(item.state.value)
        print(f"Message n° {item.id} {item.message_id} : {state}")
        if item.unconfirmed:
            print("  (transmission non confirmée par le serveur : envoi interrompu après la fin "
                  "des données ; il n'a pas été renvoyé)")
        for r in item.recipients:
            status = r.status.value if ctx.lang == "en" else _RECIPIENT_FR[r.status.value]
            detail = f" — {r.code} {r.detail}" if r.status.value in ("failed", "deferred") else ""
            print(f"  {r.address} : {status}{detail}")
    if error is not None:
        if not as_json:
            print(error.text(ctx.lang), file=sys.stderr)
        return int(error.exit_code)
    if item.state.value == "failed" or any(r.status.value == "failed" for r in item.recipients):
        return EXIT_FAILED
    return 0


def _reply_thread(profile: Any, parent: str) -> tuple[str, tuple[str, ...]]:
    """In-Reply-To and References of a reply to the message ``parent`` (a Message-ID): the
    parent's own chain when it is stored in this profile (so that threads stay whole in every
    client), else the parent alone."""
    from app.domain.reply import ReplyContext, normalize_message_id, reply_references
    from app.protocols.mime.parser import parse_message

    parent_id = normalize_message_id(parent)
    if parent_id is None:
        raise InvalidInputError(
            f"« {parent} » n'est pas un identifiant de message (Message-ID).",
            message_en=f"“{parent}” is not a message identifier (Message-ID).",
        )
    for message_id in profile.messages.find_by_header_id(parent_id):
        raw = profile.messages.raw(message_id)
        if raw is None:
            continue
        parsed = parse_message(raw)
        context = ReplyContext(message_id=parent_id, references=parsed.references,
                               in_reply_to=parsed.in_reply_to)
        return parent_id, reply_references(context)
    return parent_id, (parent_id,)


def _cmd_send(args: argparse.Namespace, ctx: Context) -> int:
    from app.domain.outgoing import Attachment
    from app.domain.xdm import XdmInputDocument
    from app.protocols.mime.builder import guess_content_type
    from app.services.outbox_service import SendRequest

    text = ""
    if args.body_file is not None:
        try:
            text = _read_file_bytes(args.body_file).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"Le fichier « {args.body_file} » n'est pas du texte UTF-8.",
                message_en=f"The file “{args.body_file}” is not UTF-8 text.",
            ) from exc
    attachments = tuple(
        Attachment(path.name, _read_file_bytes(path), guess_content_type(path.name))
        for path in args.attach
    )
    documents = tuple(XdmInputDocument(cda=_read_file_bytes(path)) for path in args.cda)
    request = SendRequest(
        from_address=args.from_,
        to=tuple(args.to),
        cc=tuple(args.cc),
        subject=args.subject or "",
        text=text,
        attachments=attachments,
        cda_documents=documents,
        request_mdn=args.request_mdn,
        confirmed_exceptions=tuple(args.confirm_exception),
        end_conversation=args.end_conversation,
    )
    with _open(ctx, create=False) as profile:
        if args.in_reply_to:
            in_reply_to, references = _reply_thread(profile, args.in_reply_to)
            request = replace(
                request, in_reply_to=in_reply_to, references=references)
        account = profile.accounts.get(request.from_address)
        psc = account.auth is AuthMethod.PSC
        # The command line sends at once: no undo window, and it waits for the outcome. A PSC
        # account logs in after the checks; until then the item is held (cancelled if the login
        # does not succeed).
        item_id = profile.outbox.queue(request, undo_seconds=_LOGIN_HOLD if psc else 0)
        try:
            result = asyncio.run(
                _logged_in(
                    profile, account, ctx, lambda: profile.outbox.process(item_id, force=True)
                )
            )
        except BaseException:
            if psc:
                profile.outbox.cancel(item_id)
            raise
        return _print_outbox_result(result, ctx, args.json)


_LOGIN_HOLD = 3600.0


def _cmd_outbox_list(args: argparse.Namespace, ctx: Context) -> int:
    items: list[Any] = []
    if profile_exists(ctx.profile_dir):
        with _open(ctx, create=False) as profile:
            items = profile.outbox.items()
            receipts = {i.id: profile.receipts.recipient_status(i.id) for i in items}
    if args.json:
        print(json.dumps([outbox_item_to_json(i, receipts.get(i.id)) for i in items],
                         ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("Boîte d'envoi vide." if ctx.lang != "en" else "The outbox is empty.")
        return 0
    for item in items:
        state = item.state.value if ctx.lang == "en" else _STATE_FR.get(item.state.value)
        recipients = ", ".join(r.address for r in item.recipients)
        print(f"{item.id}\t{state}\t{recipients}\t{item.subject}")
    return 0


def _cmd_outbox_retry(args: argparse.Namespace, ctx: Context) -> int:
    try:
        item_id = int(str(args.id).strip())
    except ValueError as exc:
        raise InvalidInputError(
            f"« {args.id} » n'est pas un numéro de message de la boîte d'envoi.",
            message_en=f"“{args.id}” is not an outbox message number.",
        ) from exc
    with _open(ctx, create=False) as profile:
        result = asyncio.run(profile.outbox.retry(item_id))
        return _print_outbox_result(result, ctx, False)


def mdn_request_to_json(record: Any) -> dict[str, Any]:
    """A pending read-receipt request for scripts: no subject, no requester mailbox name (health
    data may hide in either), only the requester's domain."""
    return {
        "id": record.id,
        "account": record.account_address,
        "date": _iso(int(record.created_at)),
        "requester_domain": record.notify_address.rpartition("@")[2].lower(),
    }


def _cmd_outbox_mdn(args: argparse.Namespace, ctx: Context) -> int:
    """List the read-receipt requests left to the user (PER/ORG, policy "ask"), or answer one:
    --send queues the MDN (submitted by the next ``sync`` of the account), --decline records the
    refusal so it is not asked again (ECO.3.1.6)."""
    chosen = args.send if args.send is not None else args.decline
    if chosen is None:
        pending: list[Any] = []
        if profile_exists(ctx.profile_dir):
            with _open(ctx, create=False) as profile:
                pending = profile.receipts.pending_mdns(args.account)
        if args.json:
            print(json.dumps([mdn_request_to_json(r) for r in pending], ensure_ascii=False,
                             indent=2))
        elif not pending:
            print("Aucune demande d'accusé de lecture en attente." if ctx.lang != "en"
                  else "No read receipt request awaiting a decision.")
        for record in [] if args.json else pending:
            row = mdn_request_to_json(record)
            print(f"{row['id']}\t{row['account']}\t{row['date']}\t{row['requester_domain']}")
        return 0
    try:
        request_id = int(str(chosen).strip())
    except ValueError:
        request_id = -1
    with _open(ctx, create=False) as profile:
        if request_id not in {r.id for r in profile.receipts.pending_mdns(args.account)}:
            raise InvalidInputError(
                f"« {chosen} » n'est pas une demande d'accusé de lecture en attente.",
                message_en=f"“{chosen}” is not a read receipt request awaiting a decision.",
                hint="Voir « estafette outbox mdn ».",
                hint_en="See “estafette outbox mdn”.",
            )
        item_id: int | None = None
        if args.send is not None:
            item_id = profile.receipts.send_pending(request_id)
            if item_id is None:
                why = next((r.reason for r in profile.receipts.store.mdn_requests()
                            if r.id == request_id), "")
                raise UserFacingError(
                    f"L'accusé de lecture n'a pas pu être préparé. {why}".strip(),
                    message_en=f"The read receipt could not be prepared. {why}".strip(),
                )
        else:
            profile.receipts.decline(request_id)
    state = "queued" if item_id is not None else "declined"
    if args.json:
        print(json.dumps({"id": request_id, "state": state, "outbox_item_id": item_id}))
    elif item_id is not None:
        print(f"Accusé de lecture placé dans la boîte d'envoi (n° {item_id})." if ctx.lang != "en"
              else f"Read receipt queued in the outbox (no. {item_id}).")
    else:
        print("Demande d'accusé de lecture refusée." if ctx.lang != "en"
              else "Read receipt request declined.")
    return 0


def _cmd_whitelist_refresh(args: argparse.Namespace, ctx: Context) -> int:
    ca_file = _existing_file(args.ca_file, ctx.lang)
    with _open(ctx) as profile:
        if args.file is not None:
            result = profile.whitelist.refresh_from_file(args.file.expanduser())
        else:
            result = asyncio.run(profile.whitelist.refresh_from_url(args.url, ca_file=ca_file))
    print(
        f"Liste blanche du {result.generated_at:%d/%m/%Y} chargée : {result.domain_count} "
        f"domaines ({result.entry_count} entrées), somme de contrôle SHA-256 vérifiée "
        f"({result.source})."
    )
    for warning in result.warnings:
        print(f"Remarque : {warning}", file=sys.stderr)
    return 0


def _cmd_whitelist_check(args: argparse.Namespace, ctx: Context) -> int:
    with _open(ctx) as profile:
        decisions = [profile.whitelist.check(a) for a in args.addresses]
    if args.json:
        print(
            json.dumps(
                [
                    {"address": d.address, "allowed": d.allowed, "reason": d.reason}
                    for d in decisions
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for d in decisions:
            verdict = "autorisé" if d.allowed else "bloqué"
            print(f"{d.address} : {verdict} — {d.reason}")
    return 0 if all(d.allowed for d in decisions) else EXIT_FAILED


def _new_passphrase(ctx: Context) -> str:
    from_env = os.environ.get(NEW_PASSPHRASE_ENV)
    if from_env is not None:
        return from_env  # empty: refused by change_passphrase, with its own sentence
    if sys.stdin is None or not sys.stdin.isatty():
        raise InvalidInputError(message("new_passphrase_needed", "fr"),
                                message_en=message("new_passphrase_needed", "en"))
    try:
        first = getpass.getpass(ctx.say("new_passphrase_prompt"))
        second = getpass.getpass(ctx.say("new_passphrase_again"))
    except (EOFError, KeyboardInterrupt) as exc:
        raise UserCancelled() from exc
    if first != second:
        raise InvalidInputError(message("new_passphrase_mismatch", "fr"),
                                message_en=message("new_passphrase_mismatch", "en"))
    return first


def _change_passphrase(ctx: Context, new: str | None) -> None:
    from app.composition import change_profile_passphrase

    def attempt(current: str | None) -> None:
        change_profile_passphrase(ctx.profile_dir, key_file=ctx.key_file, current=current,
                                  new=new)

    _with_passphrase(ctx, attempt, "Phrase de passe actuelle du profil : ",
                     "Current profile passphrase: ")


def _cmd_passphrase_set(args: argparse.Namespace, ctx: Context) -> int:
    """Protect the profile's key with a new passphrase (or change it): the current one from
    ESTAFETTE_PASSPHRASE or the terminal, the new one from ESTAFETTE_NEW_PASSPHRASE or typed
    twice. Only the key's wrapping changes, replaced in one step; a wrong current passphrase
    writes nothing."""
    new = _new_passphrase(ctx)
    _change_passphrase(ctx, new)
    print(ctx.say("passphrase_set"))
    return 0


def _cmd_passphrase_remove(args: argparse.Namespace, ctx: Context) -> int:
    _change_passphrase(ctx, None)
    print(ctx.say("passphrase_removed"))
    return 0


def _cmd_crl_set(args: argparse.Namespace, ctx: Context) -> int:
    with _open(ctx) as profile:
        profile.crls.set_urls(args.urls)
        urls = profile.crls.urls()
    if urls:
        print(f"{len(urls)} adresse(s) de CRL enregistrée(s) ; les certificats des serveurs "
              "seront vérifiés contre elles (ECO.1.1.6-7).")
    else:
        print("Aucune adresse de CRL : la révocation n'est vérifiée qu'avec les fichiers CRL "
              "donnés par compte.")
    return 0


def _cmd_crl_refresh(args: argparse.Namespace, ctx: Context) -> int:
    with _open(ctx) as profile:
        outcomes = profile.crls.refresh(force=True)
    if not outcomes:
        print("Aucune adresse de CRL configurée (estafette crl set URL…).")
        return 0
    for outcome in outcomes:
        if outcome.error is not None:
            kept = ("la CRL gardée reste utilisée" if outcome.kept is not None
                    else "aucune CRL gardée")
            print(f"{outcome.url} : échec — {outcome.error.message} ({kept})", file=sys.stderr)
        else:
            done = "mise à jour" if outcome.status == "updated" else "inchangée"
            print(f"{outcome.url} : {done}")
    return EXIT_FAILED if any(o.error is not None for o in outcomes) else 0


def _cmd_crl_status(args: argparse.Namespace, ctx: Context) -> int:
    with _open(ctx) as profile:
        statuses = profile.crls.status()
    rows = [{
        "url": st.url,
        "issuer": st.kept.facts.issuer_name if st.kept else None,
        "this_update": st.kept.facts.this_update.isoformat() if st.kept else None,
        "next_update": st.kept.facts.next_update.isoformat() if st.kept else None,
        "number": st.kept.facts.number if st.kept else None,
        "last_error": st.last_error.message if st.last_error else None,
    } for st in statuses]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("Aucune adresse de CRL configurée.")
    for row in rows:
        kept = (f"{row['issuer']}, valable jusqu'au {row['next_update']}" if row["issuer"]
                else "aucune CRL gardée")
        print(f"{row['url']} : {kept}")
        if row["last_error"]:
            print(f"  dernier échec : {row['last_error']}")
    return 0


def _cmd_xdm_pack(args: argparse.Namespace, ctx: Context) -> int:
    from app.domain.xdm import XdmInputDocument
    from app.protocols.xdm.packer import pack_xdm

    if len(args.pdf) > len(args.cda):
        raise UsageError(
            "Plus de --pdf que de --cda : chaque PDF accompagne le CDA de même rang.",
            message_en="More --pdf than --cda: each PDF goes with the CDA of the same rank.",
        )
    documents = []
    for index, cda in enumerate(args.cda):
        pdf_path = args.pdf[index] if index < len(args.pdf) else None
        documents.append(
            XdmInputDocument(
                cda=_read_file_bytes(cda),
                pdf=_read_file_bytes(pdf_path) if pdf_path is not None else None,
                pdf_name=pdf_path.name if pdf_path is not None else None,
            )
        )
    package = pack_xdm(documents)
    output = args.output.expanduser()
    try:
        # Health data: owner-only, like everything else Estafette writes.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(package.zip_bytes)
    except OSError as exc:
        raise InvalidInputError(
            f"Impossible d'écrire « {output} ».", message_en=f"Cannot write “{output}”."
        ) from exc
    print(f"{output} : {len(package.headers)} document(s), objet « {package.subject} ».")
    return 0


def _cmd_xdm_inspect(args: argparse.Namespace, ctx: Context) -> int:
    from app.protocols.xdm.reader import read_xdm

    result = read_xdm(_read_file_bytes(args.zip))
    patient = result.patient
    ins = patient.ins if patient is not None else None
    documents: list[dict[str, Any]] = []
    for doc in result.documents:
        header = doc.cda
        entry = doc.entry
        author = None
        if header is not None and header.authors:
            first = header.authors[0]
            author = " ".join(p for p in (first.prefix, *first.given_names, first.family_name) if p)
        documents.append(
            {
                "path": doc.path,
                "mime_type": doc.mime_type,
                "size": len(doc.data),
                "title": (header.title if header else None) or (entry.title if entry else None),
                "type_code": (
                    header.code.code
                    if header
                    else (entry.type_code.code if entry and entry.type_code else None)
                ),
                "type_label": header.type_label if header else None,
                "patient_ins": ins.extension if ins else None,
                "author": author,
                "hash_ok": doc.hash_ok,
                "size_ok": doc.size_ok,
            }
        )
    birth = patient.birth_date if patient is not None else None
    patient_json: dict[str, Any] = {
        "ins": ins.extension if ins else None,
        "ins_oid": ins.root if ins else None,
        "family_name": patient.family_name if patient else None,
        "given_names": list(patient.given_names) if patient else [],
        "birth_date": birth.isoformat() if birth else None,
    }
    summary: dict[str, Any] = {
        "patient": patient_json,
        "patient_id": result.patient_id,
        "metadata": result.metadata_path,
        "documents": documents,
        "warnings": list(result.warnings),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    names = " ".join(patient_json["given_names"])
    family, ins_text = patient_json["family_name"] or "?", patient_json["ins"] or "?"
    print(f"Patient : {family} {names} — INS {ins_text}")
    check = {True: "empreinte conforme", False: "EMPREINTE DIFFÉRENTE", None: "sans empreinte"}
    for d in documents:
        print(f"  {d['path']} ({d['mime_type']}, {d['size']} octets) {d['title'] or ''} "
              f"[{d['type_code'] or '-'}] — {check[d['hash_ok']]}")
    for warning in result.warnings:
        print(f"Remarque : {warning}", file=sys.stderr)
    return 0


# --- directory (issue 6) ----------------------------------------------------------------------


def _cmd_directory_import(args: argparse.Namespace, ctx: Context) -> int:
    """Replace the offline directory by an Extraction_Correspondance_MSSante file (ZIP or TXT)."""
    path = args.file.expanduser()
    if not path.is_file():
        raise InvalidInputError(
            message("file_missing", "fr", path=args.file),
            message_en=message("file_missing", "en", path=args.file),
        )
    from app.protocols.directory_extraction import REASON_LABELS

    with _open(ctx) as profile:
        result = profile.directory.import_file(path)
    print(result.summary())
    for example in result.report.examples[:5]:
        reason = REASON_LABELS.get(example.reason, example.reason)
        print(f"Ligne {example.line} ignorée ({reason}) : {example.excerpt}", file=sys.stderr)
    return 0


def _cmd_directory_search(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.directory_service import DirectoryCriteria

    criteria = DirectoryCriteria(
        text=args.query or "",
        name=args.name or "",
        first_name=args.first_name or "",
        profession=args.profession or "",
        specialty=args.specialty or "",
        structure=args.structure or "",
        city=args.city or "",
        postcode=args.postcode or "",
        department=args.department or "",
        rpps=args.rpps or "",
        box_type=args.type or "",
    )
    if criteria.is_empty():
        raise UsageError(
            "Indiquez au moins un critère : --name, --city, --postcode, --profession, "
            "--specialty, --type, --rpps…",
            message_en="Give at least one criterion: --name, --city, --postcode, --profession, "
            "--specialty, --type, --rpps…",
        )
    if args.limit < 1:
        raise UsageError("--limit doit être un entier positif.",
                         message_en="--limit must be a positive integer.")
    with _open(ctx, create=False) as profile:
        result = profile.directory.search(criteria, limit=args.limit, remote=not args.offline)
        imported = profile.directory.info() is not None
    for warning in result.warnings:
        print(f"Remarque : {warning}", file=sys.stderr)
    if not imported:
        print("Remarque : aucun annuaire hors ligne n'a été importé (estafette directory import "
              "FICHIER) ; seules les sources en ligne ont été consultées.", file=sys.stderr)
    if args.json:
        print(json.dumps([e.to_json() for e in result.entries], ensure_ascii=False, indent=2))
        return 0
    if not result.entries:
        print("Aucune boîte trouvée." if ctx.lang != "en" else "No mailbox found.")
        return 0
    for e in result.entries:
        job = " / ".join(p for p in (e.profession, e.specialty) if p)
        place = " ".join(p for p in (e.postcode, e.city) if p)
        parts = [f"{e.address} ({e.box_type.value})", e.name, job,
                 e.structure if e.structure != e.name else "", place]
        print(" — ".join(p for p in parts if p))
    return 0


# --- entry point -------------------------------------------------------------------------------


def _guess_lang(argv: Sequence[str]) -> str:
    """The --lang value before parsing succeeds, so even usage errors speak the right language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS:
            return arg.split("=", 1)[1]
    return "fr"


def main(argv: list[str] | None = None, *, gui_runner: GuiRunner | None = None) -> int:
    """Run the command line; returns the exit code (never raises, never prints a traceback
    unless -v)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _guess_lang(args_list)
    verbose = 0
    try:
        args = build_parser().parse_args(args_list)
        lang = args.lang or lang
        verbose = args.verbose
        if verbose:
            logging.basicConfig(
                level=logging.DEBUG if verbose > 1 else logging.INFO, stream=sys.stderr
            )
        ctx = Context(
            lang=lang,
            profile_dir=(args.profile.expanduser() if args.profile else default_profile_dir()),
            key_file=args.key_file,
            gui_runner=gui_runner,
        )
        handler: Handler = args.handler
        return handler(args, ctx)
    except SystemExit as exc:  # --help and friends
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except UserCancelled:
        return EXIT_FAILED
    except UserFacingError as exc:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        print(exc.text(lang), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(message("interrupted", lang), file=sys.stderr)
        return EXIT_FAILED
    except (EstafetteError, Exception) as exc:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        print(message("unexpected", lang, kind=type(exc).__name__), file=sys.stderr)
        return EXIT_FAILED
