"""OpenLDAP slapd 2.5: the hospital group's own directory (``dc=chu-lumiere,dc=estafette-demo``).

Hospitals and groups run their own LDAP with internal MSSanté addresses (MSSANTE.md §7); this one
holds every demo person and mailbox plus a deterministic crowd of colleagues, so that paged searches
have something to page over. Anonymous read is allowed; a read-only service account is published for
clients configured to bind. TLS uses the sandbox server certificate (StartTLS and LDAPS).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import unicodedata
from pathlib import Path

from . import demo_world
from .common import HOST, SandboxContext, SandboxError

BASE_DN = "dc=chu-lumiere,dc=estafette-demo"
ROOT_DN = f"cn=admin,{BASE_DN}"
SERVICE_DN = f"cn=estafette-annuaire,ou=services,{BASE_DN}"
PEOPLE_OU = f"ou=people,{BASE_DN}"
MAILBOXES_OU = f"ou=mailboxes,{BASE_DN}"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SLAPD = "/usr/sbin/slapd"

# Extra colleagues at the CHU, built from fixed lists (deterministic: same directory every run).
_GIVEN = ("Hélène", "François", "Chloé", "Jérôme", "Gaëlle", "Nicolas", "Camille", "Théo",
          "Inès", "Mathieu", "Élodie", "Antoine", "Léa", "Sébastien", "Manon", "Benoît")
_FAMILY = ("Lefèvre", "Roux", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
           "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc",
           "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Perrin",
           "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel")
_ROLES = (  # (title, profession, specialty, service)
    ("Dr", "Médecin", "Cardiologie", "Cardiologie"),
    ("Mme", "Infirmier", None, "Urgences"),
    ("Dr", "Médecin", "Pédiatrie", "Pédiatrie"),
    ("M.", "Masseur-kinésithérapeute", None, "Rééducation"),
    ("Dr", "Médecin", "Radiodiagnostic et imagerie médicale", "Imagerie"),
    ("Mme", "Sage-femme", None, "Maternité"),
    ("Dr", "Pharmacien", "Pharmacie hospitalière", "Pharmacie"),
    ("Dr", "Médecin", "Anesthésie-réanimation", "Bloc opératoire"),
    ("M.", "Infirmier", None, "Réanimation"),
    ("Dr", "Chirurgien-dentiste", "Chirurgie orale", "Odontologie"),
)
_SITES = (("Villeurbanne", "69100"), ("Lyon", "69003"), ("Bron", "69500"),
          ("Vénissieux", "69200"), ("Caluire-et-Cuire", "69300"))
EXTRA_PEOPLE = 30
# Service boxes of the CHU besides Cardiology (demo_world's ORG box).
_EXTRA_ORG = ("Urgences", "Pédiatrie", "Imagerie")


def _ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _ascii(text: str) -> str:
    """``Élodie Lefèvre`` -> ``elodie.lefevre`` as an address's local part would spell it."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "-").replace("'", "")


def _ldif_line(attr: str, value: str) -> str:
    """One attribute line; base64 (``::``) when LDIF requires it (non-ASCII, leading space...)."""
    raw = value.encode()
    safe = (value.isascii() and value == value.strip() and not value.startswith((":", "<"))
            and "\n" not in value and "\r" not in value)
    if safe:
        return f"{attr}: {value}"
    return f"{attr}:: {base64.b64encode(raw).decode()}"


def _entry(dn: str, attrs: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_line("dn", dn), *(_ldif_line(a, v) for a, v in attrs)]) + "\n"


def _person_attrs(*, address: str, given: str, family: str, title: str, profession: str,
                  specialty: str | None, rpps: str, structure: str, city: str,
                  postcode: str) -> list[tuple[str, str]]:
    description = f"{profession} — {specialty}" if specialty else profession
    return [
        ("objectClass", "inetOrgPerson"),
        ("uid", address),
        ("cn", f"{given} {family}"),
        ("displayName", f"{title} {given} {family.upper()}"),
        ("sn", family),
        ("givenName", given),
        ("title", title),
        ("mail", address),
        ("o", structure),
        ("l", city),
        ("postalCode", postcode),
        ("employeeType", "PER"),
        ("description", description),
        ("employeeNumber", rpps),
    ]


def _box_attrs(*, address: str, kind: str, name: str, structure: str, city: str, postcode: str,
               description: str) -> list[tuple[str, str]]:
    return [
        ("objectClass", "inetOrgPerson"),
        ("uid", address),
        ("cn", name),
        ("displayName", name),
        ("sn", name),
        ("mail", address),
        ("o", structure),
        ("l", city),
        ("postalCode", postcode),
        ("employeeType", kind),
        ("description", description),
    ]


def extra_people() -> list[dict[str, str]]:
    """The deterministic colleagues (also used by tests to know what the directory holds)."""
    people: list[dict[str, str]] = []
    seen: set[str] = set()
    for i in range(EXTRA_PEOPLE):
        given = _GIVEN[(i * 7) % len(_GIVEN)]
        family = _FAMILY[i % len(_FAMILY)]
        title, profession, specialty, service = _ROLES[i % len(_ROLES)]
        if title in ("Mme", "M."):  # civility follows the given name, not the role list
            title = "Mme" if given in ("Hélène", "Chloé", "Gaëlle", "Camille", "Inès", "Élodie",
                                       "Léa", "Manon") else "M."
        city, postcode = _SITES[i % len(_SITES)]
        local = f"{_ascii(given)}.{_ascii(family)}"
        while local in seen:
            local += "2"
        seen.add(local)
        people.append({
            "address": f"{local}@{demo_world.HOSPITAL}", "given": given, "family": family,
            "title": title, "profession": profession, "specialty": specialty or "",
            "rpps": f"1000600{i:04d}", "structure": f"CHU Lumière — {service}",
            "city": city, "postcode": postcode,
        })
    return people


def build_ldif(service_password_hash: str) -> str:
    org = [("objectClass", "dcObject"), ("objectClass", "organization"), ("dc", "chu-lumiere"),
           ("o", "CHU Lumière"),
           ("description", "Annuaire interne du CHU Lumière (bac à sable Estafette)")]
    entries = [
        _entry(BASE_DN, org),
        _entry(PEOPLE_OU, [("objectClass", "organizationalUnit"), ("ou", "people")]),
        _entry(MAILBOXES_OU, [("objectClass", "organizationalUnit"), ("ou", "mailboxes")]),
        _entry(f"ou=services,{BASE_DN}",
               [("objectClass", "organizationalUnit"), ("ou", "services")]),
        _entry(SERVICE_DN, [("objectClass", "organizationalRole"),
                            ("objectClass", "simpleSecurityObject"), ("cn", "estafette-annuaire"),
                            ("description", "Compte de service en lecture seule"),
                            ("userPassword", service_password_hash)]),
    ]
    for box in demo_world.MAILBOXES:
        if box.kind == "PER" and box.owner is not None:
            p = box.owner
            attrs = _person_attrs(address=box.address, given=p.given_name, family=p.family_name,
                                  title=p.title, profession=p.profession, specialty=p.specialty,
                                  rpps=p.rpps, structure=p.structure, city=p.city,
                                  postcode=p.postcode)
            entries.append(_entry(f"uid={box.address},{PEOPLE_OU}", attrs))
        else:
            if box.members:
                city, postcode = box.members[0].city, box.members[0].postcode
            else:
                city, postcode = "Lyon", "69007"
            structure = box.display_name.split(" — ")[0] if box.kind == "APP" else box.display_name
            description = ("Boîte organisationnelle" if box.kind == "ORG" else "Boîte applicative")
            attrs = _box_attrs(address=box.address, kind=box.kind, name=box.display_name,
                               structure=structure, city=city, postcode=postcode,
                               description=f"{description} — {box.display_name}")
            entries.append(_entry(f"uid={box.address},{MAILBOXES_OU}", attrs))
    for extra in extra_people():
        attrs = _person_attrs(address=extra["address"], given=extra["given"],
                              family=extra["family"], title=extra["title"],
                              profession=extra["profession"], specialty=extra["specialty"] or None,
                              rpps=extra["rpps"], structure=extra["structure"],
                              city=extra["city"], postcode=extra["postcode"])
        entries.append(_entry(f"uid={extra['address']},{PEOPLE_OU}", attrs))
    for service in _EXTRA_ORG:
        address = f"{_ascii(service)}@{demo_world.HOSPITAL}"
        name = f"CHU Lumière — {service}"
        attrs = _box_attrs(address=address, kind="ORG", name=name, structure=name,
                           city="Villeurbanne", postcode="69100",
                           description=f"Boîte organisationnelle — {name}")
        entries.append(_entry(f"uid={address},{MAILBOXES_OU}", attrs))
    return "\n".join(entries)


def _config(root: Path, db: Path, root_password_hash: str, pki: dict[str, str]) -> str:
    schemas = "\n".join(f"include {SCHEMA_DIR / name}.schema"
                        for name in ("core", "cosine", "inetorgperson", "nis"))
    return f"""# Generated by tests/sandbox/slapd.py
{schemas}
pidfile {root / "slapd.pid"}
argsfile {root / "slapd.args"}
modulepath {MODULE_DIR}
moduleload back_mdb
loglevel stats
sizelimit 500

TLSCACertificateFile {pki["ca_file"]}
TLSCertificateFile {pki["server_cert"]}
TLSCertificateKeyFile {pki["server_key"]}
TLSProtocolMin 3.3

database mdb
maxsize 67108864
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {root_password_hash}
directory {db}
index objectClass eq
index uid,mail,cn,sn,givenName,employeeNumber eq,sub
index employeeType eq

# Passwords: usable to authenticate, readable by nobody. Everything else: read-only for everyone
# (anonymous included); only the rootdn writes.
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by * read
"""


def start(ctx: SandboxContext) -> None:
    """Write slapd.conf, load the seed LDIF with slapadd, run slapd in the foreground."""
    if not Path(SLAPD).exists():
        raise SandboxError("slapd: /usr/sbin/slapd not found (apt-get install slapd ldap-utils)")
    root = ctx.dir("slapd")
    db = root / "db"
    shutil.rmtree(db, ignore_errors=True)  # a rerun in the same base starts from a fresh seed
    db.mkdir()
    root_password = secrets.token_urlsafe(18)
    service_password = secrets.token_urlsafe(18)
    conf = root / "slapd.conf"
    conf.write_text(_config(root, db, _ssha(root_password), ctx.pki))
    conf.chmod(0o600)
    ldif = root / "seed.ldif"
    ldif.write_text(build_ldif(_ssha(service_password)), encoding="utf-8")

    ctx.run("slapd", ["/usr/sbin/slaptest", "-u", "-f", str(conf)])
    ctx.run("slapd", ["/usr/sbin/slapadd", "-q", "-f", str(conf), "-l", str(ldif)])

    port, tls_port = ctx.port("ldap"), ctx.port("ldaps")
    urls = f"ldap://{HOST}:{port}/ ldaps://{HOST}:{tls_port}/"
    # Any -d keeps slapd in the foreground (so the recorded PID is slapd itself); "-d 0" would also
    # silence start-up errors such as a port already taken, "none" prints only those.
    proc = ctx.spawn("slapd", [SLAPD, "-h", urls, "-f", str(conf), "-d", "none"])
    ctx.wait_tcp("slapd", port, proc=proc)
    ctx.wait_tcp("slapd", tls_port, proc=proc)
    ctx.endpoints["ldap"] = {
        "uri": f"ldap://{HOST}:{port}",
        "ldaps_uri": f"ldaps://{HOST}:{tls_port}",
        "base_dn": BASE_DN,
        "bind_dn": SERVICE_DN,
        "bind_password": service_password,
        "admin_dn": ROOT_DN,
        "admin_password": root_password,
    }
