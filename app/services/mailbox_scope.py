"""Which folders of a login's IMAP listing belong to an account's box.

A PER box (or a box opened with its own login) is the login's personal namespace; an ORG or APP
box opened with a member's nominative login sits in that login's other-users or shared namespace
(RFC 2342), found by the box's address. Sync, the Sent copy and the rights check all ask here, so
a nurse's own folders never mix with the team's box. Special-use folders (RFC 6154) are looked up
by attribute within one box only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.domain.account import Account, MailboxKind
from app.errors import UserFacingError
from app.protocols.imap.connection import ListedFolder, Namespaces
from app.store.message_store import FolderState


class SharedBoxNotFound(UserFacingError):
    """An ORG/APP box opened with someone else's login is not among the boxes shared with it."""

    default_message = "Cette boîte n'est pas partagée avec cet identifiant."
    default_message_en = "This mailbox is not shared with this login."


@dataclass(frozen=True)
class FolderScope:
    """The listed folders that belong to an account's box.

    ``root``: where a shared box sits among the login's folders (``Partagé/cardiologie@…``,
    usually its inbox too); None for the login's personal namespace. ``inbox``: the box's inbox
    as the server names it (``INBOX``, or the shared box's).
    """

    folders: tuple[ListedFolder, ...]
    inbox: str
    root: str | None = None

    @property
    def names(self) -> frozenset[str]:
        """The selectable folders: what is mirrored, and where queued changes may go."""
        return frozenset(f.name for f in self.folders if f.selectable)


def opens_a_shared_box(account: Account) -> bool:
    """An ORG or APP box read with someone else's login (a member's nominative one): its folders
    are in that login's other-users or shared namespace. A login naming the box itself (its
    address, or its local part as some operators give it) reads its personal namespace."""
    if account.kind not in (MailboxKind.ORG, MailboxKind.APP):
        return False
    login = account.login.strip().casefold()
    address = account.address.strip().casefold()
    return login not in (address, address.rpartition("@")[0])


def _box_patterns(address: str) -> tuple[tuple[str, ...], ...]:
    """How a server may name the box ``address`` below an other-users/shared prefix, best first:
    the whole address (Dovecot ``%u``), domain then local part (``%d/%n``), the local part
    alone (Cyrus, a single-domain server)."""
    folded = address.strip().casefold()
    local, _at, domain = folded.rpartition("@")
    return ((folded,), (domain, local), (local,))


def _component(text: str) -> str:
    # Cyrus writes a '.' inside a name as '^' when '.' is its hierarchy delimiter.
    return text.casefold().replace("^", ".")


def _shared_root(listed: Sequence[ListedFolder], namespaces: Namespaces,
                 address: str) -> tuple[str, str | None] | None:
    """(root, delimiter) of the box ``address`` among the other-users/shared folders of the
    listing, or None. Only a whole component (or two) naming the box matches:
    ``cardiologie@chu.fr.autre`` or ``cardiologie-bis`` are other boxes."""
    patterns = _box_patterns(address)
    best: tuple[tuple[int, int, int], str, str | None] | None = None
    groups = (namespaces.other_users, namespaces.shared)
    for group_index, group in enumerate(groups):
        for ns_index, namespace in enumerate(group):
            if not namespace.prefix:
                continue
            for folder in listed:
                if namespaces.kind_of(folder.name) not in ("other_users", "shared"):
                    continue  # a longer personal prefix holds it: the login's own
                rest = namespace.remainder(folder.name)
                if rest is None:
                    continue
                delimiter = namespace.delimiter or folder.delimiter or None
                parts = rest.split(delimiter) if delimiter else [rest]
                for rank, wanted in enumerate(patterns):
                    if len(parts) < len(wanted) or any(
                            _component(part) != name for part, name in zip(parts, wanted,
                                                                            strict=False)):
                        continue
                    above = folder.name[: len(folder.name) - len(rest)]
                    root = above + (delimiter or "").join(parts[: len(wanted)])
                    key = (rank, group_index, ns_index)
                    if best is None or key < best[0]:
                        best = (key, root, delimiter)
                    break
    return None if best is None else (best[1], best[2])


def _not_shared(account: Account, reason: str, reason_en: str) -> SharedBoxNotFound:
    return SharedBoxNotFound(
        f"La boîte « {account.address} » n'est pas partagée avec l'identifiant "
        f"« {account.login} » : {reason}. Rien n'a été synchronisé.",
        message_en=f"The mailbox “{account.address}” is not shared with the login "
        f"“{account.login}”: {reason_en}. Nothing was synchronised.",
        hint="Demandez au responsable de la boîte de vous y donner accès, ou vérifiez "
        "l'adresse et l'identifiant du compte.",
        hint_en="Ask the person in charge of the mailbox to give you access, or check the "
        "account's address and login.",
    )


def scope_folders(account: Account, listed: Sequence[ListedFolder],
                  namespaces: Namespaces | None) -> FolderScope:
    """The folders of ``listed`` (the login's whole LIST) that are ``account``'s box.

    A shared box (``opens_a_shared_box``): the folders at and below its root in the other-users
    or shared namespace, found by its address; never a fallback to the login's own folders —
    SharedBoxNotFound when the server has no NAMESPACE or the box is not visible (or has no
    folder this login may open). Otherwise: the personal namespace, i.e. every folder outside
    the other-users and shared prefixes (all of them on a server without NAMESPACE).
    """
    if not opens_a_shared_box(account):
        own = tuple(f for f in listed
                    if namespaces is None or namespaces.kind_of(f.name) in ("personal", None))
        inbox = next((f.name for f in own if f.name.upper() == "INBOX"), "INBOX")
        return FolderScope(folders=own, inbox=inbox)
    if namespaces is None:
        raise _not_shared(
            account, "le serveur n'annonce pas ses espaces de noms (NAMESPACE, RFC 2342), les "
            "boîtes partagées ne peuvent donc pas y être distinguées des dossiers personnels",
            "the server does not announce its namespaces (NAMESPACE, RFC 2342), so shared "
            "mailboxes cannot be told apart from personal folders there")
    found = _shared_root(listed, namespaces, account.address)
    if found is None:
        raise _not_shared(
            account, "elle n'apparaît pas parmi les boîtes partagées que le serveur montre à "
            "cet identifiant", "it is not among the shared mailboxes the server shows this login")
    root, delimiter = found
    below = root + delimiter if delimiter else None
    folders = tuple(f for f in listed
                    if namespaces.kind_of(f.name) in ("other_users", "shared")
                    and (f.name == root or (below is not None and f.name.startswith(below))))
    selectable = [f.name for f in folders if f.selectable]
    if not selectable:
        raise _not_shared(
            account, "le serveur la montre, mais sans aucun dossier que cet identifiant puisse "
            "ouvrir", "the server shows it, but without any folder this login may open")
    inner_inbox = f"{below}INBOX".upper() if below is not None else None
    inbox = (root if root in selectable
             else next((n for n in selectable if n.upper() == inner_inbox), min(selectable)))
    return FolderScope(folders=folders, inbox=inbox, root=root)


def special_folder(folders: Iterable[FolderState], use: str) -> FolderState | None:
    """The folder carrying the RFC 6154 attribute ``use`` (``\\Trash``…), by its attribute only,
    never by name; the shortest name when several do. ``folders``: one account's (its box's),
    so a shared box never gets the login's personal \\Trash."""
    wanted = use.casefold()
    found = [f for f in folders if (f.special_use or "").casefold() == wanted]
    return min(found, key=lambda f: (len(f.name), f.name)) if found else None


# What a folder is called on servers that mark no special use (Dovecot inside a shared box, old
# servers): the last component of its path, case-folded. Attributes come first; these are the
# fallback, within one box.
_NAMES_BY_USE: dict[str, frozenset[str]] = {
    "\\sent": frozenset({"sent", "envoyés", "messages envoyés", "éléments envoyés",
                          "sent items", "sent messages"}),
    "\\trash": frozenset({"trash", "corbeille", "deleted items", "deleted messages",
                           "messages supprimés", "éléments supprimés"}),
    "\\drafts": frozenset({"drafts", "brouillons"}),
}


def leaf_name(full_name: str, delimiter: str | None = None) -> str:
    """The last component of a folder's path, case-folded (both usual delimiters when the
    server's is not known)."""
    last = full_name
    for separator in (delimiter,) if delimiter else ("/", "."):
        last = last.split(separator)[-1]
    return last.strip().casefold()


def named_like(use: str, full_name: str, delimiter: str | None = None) -> bool:
    """``full_name`` is one of the usual names of the ``use`` folder (``\\Sent``…)."""
    return leaf_name(full_name, delimiter) in _NAMES_BY_USE.get(use.casefold(), frozenset())

