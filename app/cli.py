"""The ``estafette`` command line (contract: shared/design/CLI.md). No Qt here.

``main()`` returns the exit code instead of exiting, so tests and the GUI launcher call it
in-process: 0 success, 1 refused/failed, 2 usage error, 3 server or network unreachable.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from app import __version__
from app.composition import default_profile_dir, open_profile, profile_exists
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
    NotImplementedYetError,
    UsageError,
    UserCancelled,
    UserFacingError,
)
from app.messages import message

PASSWORD_ENV = "ESTAFETTE_PASSWORD"
PASSPHRASE_ENV = "ESTAFETTE_PASSPHRASE"
LANGS = ("fr", "en")


@dataclass(frozen=True)
class GuiRequest:
    """What the window needs from the command line to start."""

    profile_dir: Path
    key_file: Path | None
    lang: str = "fr"
    verbose: int = 0


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


def _not_yet(name: str) -> Handler:
    def handler(args: argparse.Namespace, ctx: Context) -> int:
        raise NotImplementedYetError(
            message("not_yet", "fr", command=name),
            message_en=message("not_yet", "en", command=name),
        )

    return handler


def _upper(text: str) -> str:
    return text.upper()


def _lower(text: str) -> str:
    return text.lower()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="estafette",
        description="Estafette — messagerie sécurisée de santé (MSSanté).",
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
    add.set_defaults(handler=_cmd_account_add, command_name="account add")
    lst = account_sub.add_parser("list", help="lister les comptes")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_cmd_account_list, command_name="account list")

    sync = sub.add_parser("sync", help="synchroniser")
    sync.add_argument("--account", metavar="ADDR")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true")
    mode.add_argument("--watch", action="store_true")
    sync.set_defaults(handler=_not_yet("sync"), command_name="sync")

    search = sub.add_parser("search", help="rechercher des messages")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--account", metavar="ADDR")
    search.add_argument("--limit", type=int, metavar="N")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_not_yet("search"), command_name="search")

    show = sub.add_parser("show", help="afficher un message")
    show.add_argument("message_id", metavar="MESSAGE_ID")
    show.add_argument("--json", action="store_true")
    show.add_argument("--raw", action="store_true")
    show.set_defaults(handler=_not_yet("show"), command_name="show")

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
    send.set_defaults(handler=_not_yet("send"), command_name="send")

    outbox = sub.add_parser("outbox", help="boîte d'envoi")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    olist = outbox_sub.add_parser("list")
    olist.add_argument("--json", action="store_true")
    olist.set_defaults(handler=_not_yet("outbox list"), command_name="outbox list")
    retry = outbox_sub.add_parser("retry")
    retry.add_argument("id", metavar="ID")
    retry.set_defaults(handler=_not_yet("outbox retry"), command_name="outbox retry")

    whitelist = sub.add_parser("whitelist", help="liste blanche des domaines MSSanté")
    wl_sub = whitelist.add_subparsers(dest="whitelist_command", metavar="ACTION", required=True)
    refresh = wl_sub.add_parser("refresh")
    source = refresh.add_mutually_exclusive_group()
    source.add_argument("--url", metavar="URL")
    source.add_argument("--file", type=Path, metavar="F")
    refresh.set_defaults(handler=_not_yet("whitelist refresh"), command_name="whitelist refresh")
    check = wl_sub.add_parser("check")
    check.add_argument("addresses", nargs="+", metavar="ADDR")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_not_yet("whitelist check"), command_name="whitelist check")

    xdm = sub.add_parser("xdm", help="paquets XDM (IHE XDM)")
    xdm_sub = xdm.add_subparsers(dest="xdm_command", metavar="ACTION", required=True)
    pack = xdm_sub.add_parser("pack")
    pack.add_argument("--cda", action="extend", nargs="+", required=True, type=Path, metavar="FILE")
    pack.add_argument("--pdf", action="extend", nargs="+", default=[], type=Path, metavar="FILE")
    pack.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.zip")
    pack.set_defaults(handler=_not_yet("xdm pack"), command_name="xdm pack")
    inspect = xdm_sub.add_parser("inspect")
    inspect.add_argument("zip", type=Path, metavar="ZIP")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(handler=_not_yet("xdm inspect"), command_name="xdm inspect")

    directory = sub.add_parser("directory", help="annuaire santé")
    dir_sub = directory.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    dimport = dir_sub.add_parser("import")
    dimport.add_argument("file", type=Path, metavar="FILE")
    dimport.set_defaults(handler=_not_yet("directory import"), command_name="directory import")
    dsearch = dir_sub.add_parser("search")
    dsearch.add_argument("--name", metavar="N")
    dsearch.add_argument("--city", metavar="C")
    dsearch.add_argument("--postcode", metavar="P")
    dsearch.add_argument("--profession", metavar="P")
    dsearch.add_argument("--specialty", metavar="S")
    dsearch.add_argument("--type", type=_upper, choices=["PER", "ORG", "APP"])
    dsearch.add_argument("--rpps", metavar="ID")
    dsearch.add_argument("--json", action="store_true")
    dsearch.set_defaults(handler=_not_yet("directory search"), command_name="directory search")

    audit = sub.add_parser("audit", help="journal d'audit")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    export = audit_sub.add_parser("export")
    export.add_argument("--since", metavar="YYYY-MM-DD")
    export.add_argument("--csv", type=Path, metavar="FILE")
    export.set_defaults(handler=_not_yet("audit export"), command_name="audit export")
    return parser


# --- commands ----------------------------------------------------------------------------------


def _cmd_gui(args: argparse.Namespace, ctx: Context) -> int:
    if ctx.gui_runner is None:
        print(ctx.say("no_gui"), file=sys.stderr)
        return EXIT_USAGE
    request = GuiRequest(
        profile_dir=ctx.profile_dir, key_file=ctx.key_file, lang=ctx.lang, verbose=args.verbose
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
    return open_profile(
        ctx.profile_dir,
        key_file=ctx.key_file,
        passphrase=os.environ.get(PASSPHRASE_ENV) or None,
        create=create,
    )


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
    with _open(ctx) as profile:
        profile.accounts.ensure_new(account)  # before asking for a password
        password = _read_password(account, ctx) if account.auth is AuthMethod.PASSWORD else None
        profile.accounts.add(account, password=password)
    print(ctx.say("account_added", address=account.address))
    return 0


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
