"""Trying a PKCS#11 module without risking the application: what the settings' "Tester" button
shows, and the card watcher's first look at a module.

Loading a module runs its code in the loading process. So a module path is first checked
(``card.check_module_file``: absolute, a regular readable file that starts like a shared
library), then loaded in a **child process** (``python -m app.protocols.pkcs11.probe MODULE``)
that lists the slots and tokens and reads each card's holder (no PIN: certificates are public
objects). A module that crashes the child (a bad ``C_GetFunctionList``, a constructor that
faults), hangs, or is not PKCS#11 at all comes back as one clear ``CardError``; the application
never loaded it. A frozen build has no interpreter to start the child with: it probes in process,
after the same file checks.

``suggest_module_path`` looks for the CPS middleware (``libcps3_pkcs11_lin.so``) where its
installers usually put it, to offer it in the settings when the field is empty.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.errors import InvalidInputError
from app.protocols.pkcs11.card import (
    CardError,
    check_module_file,
    holder_from_certificate,
    library_session,
)

PROBE_TIMEOUT = 20.0
# A misbehaving module could list anything: bounded, and every text cleaned.
MAX_SLOTS = 64
MAX_CERTIFICATES = 16
MAX_TEXT = 64

CPS_MODULE_NAME = "libcps3_pkcs11_lin.so"
# Where the CPS middleware (cryptolib CPS) is usually installed on Linux: /usr/lib (its .deb and
# .rpm), the multiarch and lib64 variants, and /opt for vendor bundles. [reported, not verified
# here: no CPS middleware on this machine]
CPS_MODULE_CANDIDATES = (
    "/usr/lib/libcps3_pkcs11_lin.so",
    "/usr/lib64/libcps3_pkcs11_lin.so",
    "/usr/lib/x86_64-linux-gnu/libcps3_pkcs11_lin.so",
    "/usr/local/lib/libcps3_pkcs11_lin.so",
)
CPS_MODULE_PATTERNS = (
    "/opt/*/libcps3_pkcs11_lin.so",
    "/opt/*/lib/libcps3_pkcs11_lin.so",
    "/opt/*/*/libcps3_pkcs11_lin.so",
    "/opt/*/*/lib/libcps3_pkcs11_lin.so",
)


def _clean(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = "".join(c for c in str(value) if c.isprintable()).strip()
    return text[:MAX_TEXT]


@dataclass(frozen=True)
class TokenInfo:
    """One slot with a token in it, as the module describes it, and the card's holder if any."""

    slot_id: int
    slot_description: str = ""
    label: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    initialized: bool = True
    national_id: str = ""
    holder_name: str = ""

    @property
    def is_cps_card(self) -> bool:
        """It holds an authentication certificate with a national id (what the watcher needs)."""
        return bool(self.national_id)


@dataclass(frozen=True)
class ProbeReport:
    """What a module answered: its own description and the tokens it sees."""

    module: str
    library: str
    tokens: tuple[TokenInfo, ...] = ()

    def matching(self, token_label: str | None = None,
                 slot: int | None = None) -> tuple[TokenInfo, ...]:
        """The CPS cards the watcher would consider with these settings."""
        return tuple(t for t in self.tokens
                     if t.initialized and t.is_cps_card
                     and (slot is None or t.slot_id == slot)
                     and (not token_label or t.label == token_label))

    def to_json(self) -> dict[str, Any]:
        return {"module": self.module, "library": self.library,
                "tokens": [asdict(t) for t in self.tokens]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeReport:
        fields = set(TokenInfo.__dataclass_fields__)
        tokens = tuple(TokenInfo(**{k: v for k, v in item.items() if k in fields})
                       for item in data.get("tokens", [])[:MAX_SLOTS])
        return cls(module=str(data["module"]), library=str(data.get("library", "")),
                   tokens=tokens)


def _holder(token: Any) -> tuple[str, str]:
    from pkcs11 import Attribute, ObjectClass

    with token.open() as session:
        for count, obj in enumerate(session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE})):
            if count >= MAX_CERTIFICATES:
                break
            try:
                holder = holder_from_certificate(bytes(obj[Attribute.VALUE]))
            except (CardError, InvalidInputError):
                continue
            return holder.national_id, _clean(holder.display_name)
    return "", ""


def list_tokens(module: str, *, rescan: bool = True) -> ProbeReport:
    """Load ``module`` in this process and describe it (blocking; CardError when it cannot)."""
    import pkcs11

    with library_session(module, rescan=rescan) as lib:
        try:
            version = ".".join(str(v) for v in getattr(lib, "library_version", ()) or ())
            library = " ".join(p for p in (_clean(getattr(lib, "manufacturer_id", "")),
                                           _clean(getattr(lib, "library_description", "")),
                                           version) if p)
            tokens: list[TokenInfo] = []
            for slot in list(lib.get_slots(token_present=True))[:MAX_SLOTS]:
                try:
                    token = slot.get_token()
                except pkcs11.PKCS11Error:
                    continue  # gone between listing and reading
                initialized = bool(token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED)
                national_id, name = ("", "")
                if initialized:
                    with contextlib.suppress(pkcs11.PKCS11Error):
                        national_id, name = _holder(token)
                tokens.append(TokenInfo(
                    slot_id=int(slot.slot_id), slot_description=_clean(slot.slot_description),
                    label=_clean(token.label), manufacturer=_clean(token.manufacturer_id),
                    model=_clean(token.model), serial=_clean(token.serial),
                    initialized=initialized, national_id=national_id, holder_name=name))
        except pkcs11.PKCS11Error as exc:
            raise CardError(
                f"Le module « {module} » s'est chargé mais n'a pas pu lister les lecteurs "
                f"({type(exc).__name__}).",
                message_en=f"The module '{module}' loaded but could not list the readers "
                f"({type(exc).__name__}).") from exc
    return ProbeReport(module=module, library=library, tokens=tuple(tokens))


def _project_root() -> str:
    return str(Path(__file__).resolve().parents[3])


def probe_module(module: str, *, timeout: float = PROBE_TIMEOUT) -> ProbeReport:
    """Describe ``module`` after loading it in a child process (blocking, up to ``timeout``).

    CardError, in French with the reason, when the path is wrong, the file is not a PKCS#11
    module, or the module crashes or hangs the child. The child inherits the environment
    (``SOFTHSM2_CONF`` for SoftHSM).
    """
    check_module_file(module)
    if getattr(sys, "frozen", False):
        return list_tokens(module)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_project_root(), env.get("PYTHONPATH"))
                                        if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, module], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, timeout=timeout,
            check=False)
    except subprocess.TimeoutExpired:
        raise CardError(
            f"Le module « {module} » ne répond pas (plus de {timeout:.0f} s).",
            message_en=f"The module '{module}' does not answer (over {timeout:.0f} s).",
            hint="Ce n'est probablement pas un module PKCS#11 utilisable.",
            hint_en="It is probably not a usable PKCS#11 module.") from None
    except OSError as exc:
        raise CardError("Le test du module n'a pas pu être lancé.",
                        message_en="The module test could not be started.") from exc
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = str(-done.returncode)
        raise CardError(
            f"Le module « {module} » s'est arrêté brutalement pendant le test ({name}) : ce "
            "n'est pas un module PKCS#11 utilisable. Estafette ne le chargera pas.",
            message_en=f"The module '{module}' crashed during the test ({name}): it is not a "
            "usable PKCS#11 module. Estafette will not load it.")
    answer = _answer(done.stdout)
    if answer is None:
        raise CardError(
            f"Le module « {module} » a interrompu le test (code {done.returncode}) : ce n'est "
            "pas un module PKCS#11 utilisable.",
            message_en=f"The module '{module}' interrupted the test (code {done.returncode}): "
            "it is not a usable PKCS#11 module.")
    if "error" in answer:
        error = answer["error"]
        raise CardError(str(error.get("message", "")) or None,
                        message_en=error.get("message_en"), hint=error.get("hint"),
                        hint_en=error.get("hint_en"))
    try:
        return ProbeReport.from_json(answer["report"])
    except (KeyError, TypeError, ValueError):
        raise CardError("Le test du module a donné une réponse illisible.",
                        message_en="The module test gave an unreadable answer.") from None


def _answer(stdout: bytes) -> dict[str, Any] | None:
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict):
                    return data
    return None


def suggest_module_path(candidates: Iterable[str] = CPS_MODULE_CANDIDATES,
                        patterns: Iterable[str] = CPS_MODULE_PATTERNS) -> str | None:
    """The CPS middleware's module when it is installed at one of its usual places, else None
    (a few ``stat`` calls and shallow globs under /opt: run it off the UI thread anyway)."""
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    for pattern in patterns:
        for found in sorted(glob.glob(pattern)):
            if os.path.isfile(found):
                return found
    return None


def _child(module: str) -> int:
    """In the child: the answer goes to a private copy of stdout; the module's own writes to
    stdout (some print debugging) go to stderr, which the parent discards."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        answer: dict[str, Any] = {"report": list_tokens(module, rescan=False).to_json()}
    except CardError as exc:
        answer = {"error": {"message": exc.message, "message_en": exc.message_en,
                            "hint": exc.hint, "hint_en": exc.hint_en}}
    except Exception as exc:  # reported by kind: the text could name local paths
        answer = {"error": {"message": f"Le test du module a échoué ({type(exc).__name__}).",
                            "message_en": f"The module test failed ({type(exc).__name__})."}}
    out.write(json.dumps(answer) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":  # the child: python -m app.protocols.pkcs11.probe MODULE
    sys.exit(_child(sys.argv[1]))
