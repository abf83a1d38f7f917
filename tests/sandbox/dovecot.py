"""Dovecot 2.3 of the sandbox: IMAP (STARTTLS and implicit TLS), LMTP for Postfix, SASL for Postfix.

Everything lives under ``<base>/dovecot``. Mailboxes are maildirs owned by the system user ``mail``.
Logins: a ``passwd-file`` for passwords, an ``oauth2`` passdb (introspection at the sandbox's OIDC
provider) for XOAUTH2/OAUTHBEARER, and for the lab's APP box a TLS client certificate issued by the
sandbox CA (SASL EXTERNAL, or its internal password but only over a connection that presented such a
certificate). The hospital's ORG box is shared with its members by IMAP ACL (RFC 4314).
"""

from __future__ import annotations

import base64
import grp
import hashlib
import os
import pwd
import secrets
import shutil
import stat
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from imapclient import imap_utf7

from . import demo_world
from .common import HOST, SandboxContext, SandboxError

MAIL_USER = "mail"
# Where the ORG box of another user appears for its members (RFC 2342 "other users" namespace).
SHARED_PREFIX = "Partagé/"
# Rights of an ORG box's members: everything but administering the ACL itself (RFC 4314 "a").
MEMBER_RIGHTS = "lrwstipekx"
# The box's manager also administers its ACL (RFC 4314 "a"): how the client knows who may read
# the box's audit trail.
MANAGER_RIGHT = "a"
SPECIAL_FOLDERS = (("Sent", r"\Sent"), ("Drafts", r"\Drafts"), ("Trash", r"\Trash"),
                   ("Junk", r"\Junk"), ("Archive", r"\Archive"))
# A personal folder that carries \Sent under a name no list of names knows, for whoever creates it
# (no ``auto``: nobody has it until then): a client must know special use by attribute.
ATTRIBUTE_ONLY_FOLDERS = (("Éléments envoyés", r"\Sent"),)
# The ORG box's own folders, French names as an operator's webmail shows them (MSSANTE.md §9),
# created with the box. Its members see them in the shared namespace WITHOUT special-use
# attributes: Dovecot 2.3 builds each other-user namespace with settings of its own, which never
# hold ``mailbox { special_use }`` sections (src/lib-storage/index/shared/shared-storage.c).
ORG_FOLDERS = ("Messages envoyés", "Brouillons", "Messages supprimés")


def _ssha256(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha256(password.encode() + salt).digest()
    return "{SSHA256}" + base64.b64encode(digest + salt).decode()


def open_ancestors(path: Path) -> None:
    """Let unprivileged daemons (uid ``mail``, ``dovecot``, ``postfix``) traverse down to ``path``.

    Dovecot's mail processes run as ``mail`` and its auth process as ``dovecot``, so a base under
    a 0700 directory would cut them off their files. Only the search bit is added (no listing), and
    only where it is missing. (pytest resets /tmp/pytest-of-<user> to 0700 at every session start,
    hence the ``sandbox`` fixture's base directory outside it.)
    """
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)


def _introspection_url(oidc: dict[str, object]) -> tuple[str, str, str]:
    clients = oidc.get("clients")
    client = clients.get("dovecot") if isinstance(clients, dict) else None
    url = oidc.get("introspection_endpoint")
    if not isinstance(client, dict) or not isinstance(url, str) or not url:
        raise SandboxError("dovecot: the OIDC endpoints lack introspection_endpoint or the "
                           "'dovecot' client (clients.dovecot.client_id/client_secret)")
    client_id = str(client.get("client_id", ""))
    client_secret = str(client.get("client_secret", ""))
    if not client_id or not client_secret:
        raise SandboxError("dovecot: the OIDC 'dovecot' client has no client_id/client_secret")
    # Dovecot's oauth2 passdb authenticates its introspection POST with the URL's user info.
    parts = urlsplit(url)
    netloc = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc)), client_id, client_secret


def _user_homes(mail_root: Path) -> dict[str, Path]:
    """Every address that receives mail (people, ORG/APP boxes, patients) and its home."""
    addresses = [box.address for box in demo_world.MAILBOXES]
    addresses += [patient.address for patient in demo_world.PATIENTS]
    homes: dict[str, Path] = {}
    for address in addresses:
        local, domain = address.lower().split("@", 1)
        homes[address.lower()] = mail_root / domain / local
    return homes


def _write_config(ctx: SandboxContext, root: Path) -> Path:
    oidc = ctx.endpoints.get("oidc")
    if not isinstance(oidc, dict):
        raise SandboxError("dovecot: the OIDC provider must start first (no 'oidc' endpoints)")
    introspection_url, client_id, client_secret = _introspection_url(oidc)

    mail = pwd.getpwnam(MAIL_USER)
    auth_gid = grp.getgrnam("dovecot").gr_gid
    run_dir, state_dir, mail_root, etc = (root / "run", root / "state", root / "mail", root / "etc")
    # Every start is a fresh world: the orchestrator seeds again after each `up`, so mail kept
    # from an earlier run of this directory would be duplicated.
    for stale in (mail_root, root / "shared-dict"):
        shutil.rmtree(stale, ignore_errors=True)
    for path in (run_dir, state_dir, mail_root, etc):
        path.mkdir(parents=True, exist_ok=True)
    os.chown(mail_root, mail.pw_uid, mail.pw_gid)
    mail_root.chmod(0o700)
    open_ancestors(root)

    homes = _user_homes(mail_root)
    # userdb: every address that can receive mail (LMTP looks recipients up here).
    (etc / "users").write_text("".join(
        f"{address}::{mail.pw_uid}:{mail.pw_gid}::{home}::\n" for address, home in homes.items()))
    # passdb: the people's passwords, in the file named after %{service}-%{secured}. Dovecot
    # deems a connection from 127.0.0.1 to 127.0.0.1 secure and would accept a password before
    # STARTTLS; the sandbox must not, so that a client which forgets STARTTLS fails here as it
    # would at an operator. IMAP gives "TLS" only under TLS; Postfix (service smtp) says
    # "secured" and itself refuses AUTH before STARTTLS (smtpd_tls_auth_only).
    people = "".join(
        f"{person.login.lower()}:{_ssha256(person.password)}\n" for person in demo_world.PEOPLE)
    (etc / "people-imap-TLS.passwd").write_text(people)
    (etc / "people-smtp-secured.passwd").write_text(people)
    (etc / "people-imap-secured.passwd").write_text("")
    # The APP box: its entries only exist in the file named after %{cert} = "valid", i.e. when the
    # connection presented a client certificate that the sandbox CA verified.
    lab = demo_world.LAB_BOX.address.lower()
    (etc / "app-.passwd").write_text("")
    (etc / "app-valid.passwd").write_text(
        f"{lab}:{_ssha256(demo_world.LAB_INTERNAL_PASSWORD)}\n")
    (etc / "app-external-.passwd").write_text("")
    # SASL EXTERNAL verifies an empty password: the certificate is the credential.
    (etc / "app-external-valid.passwd").write_text(f"{lab}:::::::nopassword=y\n")
    for name in ("users", "people-imap-TLS.passwd", "people-smtp-secured.passwd",
                 "people-imap-secured.passwd", "app-.passwd", "app-valid.passwd",
                 "app-external-.passwd", "app-external-valid.passwd"):
        # Read by the auth process, which runs as the unprivileged "dovecot" user.
        os.chown(etc / name, 0, auth_gid)
        (etc / name).chmod(0o640)

    (etc / "oauth2.conf").write_text(
        f"introspection_mode = post\n"
        f"introspection_url = {introspection_url}\n"
        f"client_id = {client_id}\n"
        f"client_secret = {client_secret}\n"
        f"username_attribute = sub\n"
        f"active_attribute = active\n"
        f"active_value = true\n"
        f"tls_ca_cert_file = {ctx.pki['ca_file']}\n")

    for name in ("oauth2.conf",):
        os.chown(etc / name, 0, auth_gid)
        (etc / name).chmod(0o640)
    _share_org_box(homes, root / "shared-dict", mail.pw_uid, mail.pw_gid)

    mailboxes = "".join(
        f"  mailbox {name} {{\n    special_use = {use}\n    auto = subscribe\n  }}\n"
        for name, use in SPECIAL_FOLDERS)
    mailboxes += "".join(f'  mailbox "{name}" {{\n    special_use = {use}\n  }}\n'
                         for name, use in ATTRIBUTE_ONLY_FOLDERS)
    conf = f"""\
# Generated by tests/sandbox/dovecot.py for one sandbox run.
base_dir = {run_dir}
state_dir = {state_dir}
log_path = {ctx.log_path("dovecot")}
listen = {HOST}
protocols = imap lmtp
login_greeting = Estafette sandbox IMAP ready.

ssl = required
ssl_cert = <{ctx.pki["server_chain"]}
ssl_key = <{ctx.pki["server_key"]}
ssl_min_protocol = TLSv1.2
# Ask every TLS client for a certificate: only the APP box needs one, the others send none.
ssl_ca = <{ctx.pki["ca_file"]}
ssl_verify_client_cert = yes
ssl_require_crl = no
ssl_cert_username_field = commonName
auth_ssl_username_from_cert = yes
auth_ssl_require_client_cert = no

disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer external
auth_failure_delay = 0
auth_cache_size = 0
auth_verbose = yes
auth_username_format = %Lu

passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=SSHA256 {etc}/people-%{{service}}-%{{secured}}.passwd
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=SSHA256 {etc}/app-%{{cert}}.passwd
}}
passdb {{
  driver = passwd-file
  mechanisms = external
  args = {etc}/app-external-%{{cert}}.passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {etc}/oauth2.conf
}}
userdb {{
  driver = passwd-file
  args = {etc}/users
}}

first_valid_uid = {mail.pw_uid}
last_valid_uid = {mail.pw_uid}
mail_uid = {mail.pw_uid}
mail_gid = {mail.pw_gid}
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins acl quota

namespace inbox {{
  type = private
  separator = /
  prefix =
  inbox = yes
{mailboxes}}}
namespace shared {{
  type = shared
  separator = /
  prefix = {SHARED_PREFIX}%%u/
  # No INDEXPVT: \\Seen is shared, the members triage the team's box together.
  location = maildir:%%h/Maildir
  subscriptions = no
  list = children
}}

plugin {{
  acl = vfile
  acl_shared_dict = file:{root}/shared-dict/shared-mailboxes.db
  # The ORG box's folders inherit its INBOX's ACL (one dovecot-acl file to maintain).
  acl_defaults_from_inbox = yes
  quota = count:Quota utilisateur
  quota_vsizes = yes
  quota_rule = *:storage=1G
}}

protocol imap {{
  mail_plugins = $mail_plugins imap_acl imap_quota
  mail_max_userip_connections = 50
}}
protocol lmtp {{
  mail_plugins = $mail_plugins
}}

service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {ctx.port("imap")}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {ctx.port("imaps")}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {ctx.port("lmtp")}
  }}
}}
service auth {{
  inet_listener auth-postfix {{
    address = {HOST}
    port = {ctx.port("dovecot_auth")}
  }}
}}
# No growing delay after failed logins from 127.0.0.1 (every test comes from there): the auth
# process cannot reach the penalty socket, which disables the penalty (documented switch).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""
    conf_path = etc / "dovecot.conf"
    conf_path.write_text(conf)
    conf_path.chmod(0o600)
    return conf_path


def _share_org_box(homes: dict[str, Path], dict_dir: Path, uid: int, gid: int) -> None:
    """Give the ORG box's members their rights and register them in the shared-mailbox dict.

    Equivalent to ``SETACL`` by the box's owner, written directly so that no extra process runs.
    """
    box = demo_world.CARDIOLOGY_BOX
    owner = box.address.lower()
    maildir = homes[owner] / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    # Its folders (Maildir++: ``.<name>``, the name in modified UTF-7, RFC 3501 §5.1.3).
    for name in ORG_FOLDERS:
        folder = maildir / ("." + imap_utf7.encode(name).decode("ascii"))
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    lines = ["owner lrwstipekxtea\n"]
    lines += [f"user={member.login.lower()} {MEMBER_RIGHTS}"
              f"{MANAGER_RIGHT if member == box.manager else ''}\n" for member in box.members]
    (maildir / "dovecot-acl").write_text("".join(lines))
    _chown_tree(homes[owner].parent, uid, gid)
    # Dovecot's dict "file" format: key line, value line; acl-lookup-dict's key layout.
    entries = "".join(f"shared/shared-boxes/user/{member.login.lower()}/{owner}\n1\n"
                      for member in box.members)
    # Read by the mail processes (uid mail), rewritten by them on SETACL: a directory of theirs.
    dict_dir.mkdir(exist_ok=True)
    (dict_dir / "shared-mailboxes.db").write_text(entries)
    _chown_tree(dict_dir, uid, gid)


def start(ctx: SandboxContext) -> None:
    """Write the configuration, start ``dovecot -F`` and publish the IMAP/IMAPS/LMTP endpoints."""
    if shutil.which("dovecot") is None:
        raise SandboxError("dovecot: the dovecot binary is not installed (apt dovecot-imapd)")
    root = ctx.dir("dovecot")
    conf = _write_config(ctx, root)
    proc = ctx.spawn("dovecot", ["dovecot", "-F", "-c", str(conf)])
    for name in ("imap", "imaps", "lmtp", "dovecot_auth"):
        ctx.wait_tcp("dovecot", ctx.port(name), proc=proc)
    ctx.endpoints["imap"] = {"host": HOST, "port": ctx.port("imap"), "tls": "starttls"}
    ctx.endpoints["imaps"] = {"host": HOST, "port": ctx.port("imaps"), "tls": "implicit"}
    ctx.endpoints["lmtp"] = {"host": HOST, "port": ctx.port("lmtp")}
    ctx.endpoints["shared_prefix"] = SHARED_PREFIX
