"""The sandbox's Pro Santé Connect stand-in: discovery, CIBA, code + PKCE, refresh, introspection,
revocation — and its tokens opening IMAP (Dovecot) and SMTP submission (Postfix) over XOAUTH2.

These tests check the sandbox itself, with plain HTTP calls, so that the client's own tests can
trust it. The CIBA approval comes only from the control API (the user's phone or card).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import smtplib
import ssl
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.sandbox import demo_world

pytestmark = pytest.mark.sandbox

CIBA_GRANT = "urn:openid:params:grant-type:ciba"


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oidc(sandbox: dict[str, Any]) -> dict[str, Any]:
    fragment: dict[str, Any] = sandbox["oidc"]
    return fragment


def tls_context(sandbox: dict[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sandbox["ca_file"])


@pytest.fixture
def http(sandbox: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(verify=tls_context(sandbox), timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def discovery(sandbox: dict[str, Any], oidc: dict[str, Any]) -> dict[str, Any]:
    response = httpx.get(oidc["discovery_url"], verify=tls_context(sandbox), timeout=10)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def _ciba_auth(oidc: dict[str, Any]) -> tuple[str, str]:
    client = oidc["clients"]["ciba"]
    return client["client_id"], client["client_secret"]


def ciba_start(http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any],
               person: demo_world.Person = demo_world.DR_MARTIN, *, channel: str = "MOBILE",
               binding_message: str = "42", extra: dict[str, str] | None = None) -> httpx.Response:
    data = {"scope": "openid scope_all", "acr_values": "eidas1", "login_hint": person.national_id,
            "binding_message": binding_message, "channel": channel, **(extra or {})}
    return http.post(discovery["backchannel_authentication_endpoint"], data=data,
                     auth=_ciba_auth(oidc))


def ciba_poll(http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any],
              auth_req_id: str) -> httpx.Response:
    return http.post(discovery["token_endpoint"],
                     data={"grant_type": CIBA_GRANT, "auth_req_id": auth_req_id},
                     auth=_ciba_auth(oidc))


def control(http: httpx.Client, oidc: dict[str, Any], path: str,
            body: dict[str, Any] | None = None) -> httpx.Response:
    url = f"{oidc['control_url']}{path}"
    return http.post(url, json=body or {}) if body is not None else http.get(url)


def wait_poll_interval(started: dict[str, Any]) -> None:
    """Honour the polling interval the provider asked for (or get slow_down)."""
    time.sleep(float(started.get("interval", 5)))


def ciba_tokens(http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any],
                person: demo_world.Person = demo_world.DR_MARTIN) -> dict[str, Any]:
    """A complete CIBA login of ``person``, approved through the control API."""
    started = ciba_start(http, oidc, discovery, person)
    assert started.status_code == 200, started.text
    auth_req_id = started.json()["auth_req_id"]
    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/approve", {}).status_code == 200
    response = ciba_poll(http, oidc, discovery, auth_req_id)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def loopback_redirect(oidc: dict[str, Any], port: int) -> str:
    """The registered loopback redirect with a port chosen at run time (RFC 8252 §7.3)."""
    registered = urlsplit(oidc["clients"]["native"]["redirect_uri"])
    return f"{registered.scheme}://{registered.hostname}:{port}{registered.path}"


def new_browser(sandbox: dict[str, Any]) -> httpx.Client:
    return httpx.Client(verify=tls_context(sandbox), timeout=10)


def follow_to(browser: httpx.Client, response: httpx.Response, target: str,
              login: str | None = None) -> dict[str, list[str]]:
    """Follow redirects (filling the login form with ``login``) until one goes to ``target``.

    Returns the query of that redirect (``code``, ``state``, ``iss`` or ``error``...).
    """
    for _ in range(10):
        if response.status_code in (302, 303):
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(target):
                return parse_qs(urlsplit(location).query)
            response = browser.get(location)
        elif response.status_code == 200 and 'name="login"' in response.text and login:
            response = browser.post(str(response.url), data={"login": login, "action": "login"})
            if response.status_code == 200:
                raise AssertionError(f"login form refused {login!r}: {response.text[:300]}")
        else:
            raise AssertionError(f"unexpected {response.status_code}: {response.text[:500]}")
    raise AssertionError("too many redirects")


def browser_login(sandbox: dict[str, Any], discovery: dict[str, Any], oidc: dict[str, Any],
                  login: str, *, redirect_uri: str, challenge: str, state: str = "st4te",
                  browser: httpx.Client | None = None) -> dict[str, list[str]]:
    """Play the browser: authorization request, the provider's login form, back to the redirect."""
    params = {"client_id": oidc["clients"]["native"]["client_id"], "response_type": "code",
              "scope": "openid scope_all", "redirect_uri": redirect_uri, "state": state,
              "nonce": secrets.token_urlsafe(8), "code_challenge": challenge,
              "code_challenge_method": "S256"}
    if browser is not None:
        response = browser.get(discovery["authorization_endpoint"], params=params)
        return follow_to(browser, response, redirect_uri, login)
    with new_browser(sandbox) as own:
        response = own.get(discovery["authorization_endpoint"], params=params)
        return follow_to(own, response, redirect_uri, login)


def code_flow_tokens(http: httpx.Client, sandbox: dict[str, Any], discovery: dict[str, Any],
                     oidc: dict[str, Any], login: str,
                     browser: httpx.Client | None = None) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    redirect_uri = loopback_redirect(oidc, 49152 + secrets.randbelow(16000))
    query = browser_login(sandbox, discovery, oidc, login, redirect_uri=redirect_uri,
                          challenge=challenge, browser=browser)
    assert query["state"] == ["st4te"]
    response = http.post(discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": query["code"][0],
        "redirect_uri": redirect_uri, "code_verifier": verifier,
        "client_id": oidc["clients"]["native"]["client_id"]})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def introspect(http: httpx.Client, oidc: dict[str, Any], token: str) -> dict[str, Any]:
    client = oidc["clients"]["dovecot"]
    response = http.post(oidc["introspection_endpoint"], data={"token": token},
                         auth=(client["client_id"], client["client_secret"]))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def refresh(http: httpx.Client, discovery: dict[str, Any], refresh_token: str,
            *, auth: tuple[str, str] | None = None, client_id: str | None = None) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if client_id is not None:
        data["client_id"] = client_id
    if auth is not None:
        return http.post(discovery["token_endpoint"], data=data, auth=auth)
    return http.post(discovery["token_endpoint"], data=data)


# --- discovery -----------------------------------------------------------------------------------

def test_discovery_served_at_both_well_known_names(
        http: httpx.Client, oidc: dict[str, Any]) -> None:
    """PSC publishes discovery as wallet-openid-configuration; the standard name works too."""
    issuer = oidc["issuer"]
    wallet = http.get(f"{issuer}/.well-known/wallet-openid-configuration")
    standard = http.get(f"{issuer}/.well-known/openid-configuration")
    assert wallet.status_code == standard.status_code == 200
    assert wallet.json() == standard.json()
    document = wallet.json()
    assert document["issuer"] == issuer
    assert CIBA_GRANT in document["grant_types_supported"]
    assert document["backchannel_token_delivery_modes_supported"] == ["poll"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "scope_all" in document["scopes_supported"]
    assert document["acr_values_supported"] == ["eidas1"]
    assert document["introspection_endpoint"] == oidc["introspection_endpoint"]
    assert document["token_endpoint"] == oidc["token_endpoint"]
    for key in ("end_session_endpoint", "revocation_endpoint", "userinfo_endpoint",
                "backchannel_authentication_endpoint"):
        assert document[key].startswith(issuer + "/")


# --- CIBA ----------------------------------------------------------------------------------------

def test_ciba_pending_until_approved_then_tokens(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    """CIBA poll mode as PSC runs it: pending until the user approves on the card/phone."""
    started = ciba_start(http, oidc, discovery, demo_world.DR_MARTIN, channel="CARD",
                         binding_message="07")
    assert started.status_code == 200, started.text
    body = started.json()
    auth_req_id = body["auth_req_id"]
    assert body["expires_in"] > 0

    pending = control(http, oidc, "/ciba/requests").json()["requests"]
    mine = [r for r in pending if r["auth_req_id"] == auth_req_id]
    assert len(mine) == 1
    assert mine[0]["login_hint"] == demo_world.DR_MARTIN.national_id
    assert mine[0]["sub"] == demo_world.DR_MARTIN.login
    assert mine[0]["binding_message"] == "07"
    assert mine[0]["channel"] == "CARD"
    assert mine[0]["acr_values"] == "eidas1"

    first = ciba_poll(http, oidc, discovery, auth_req_id)
    assert first.status_code == 400
    assert first.json()["error"] == "authorization_pending"

    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/approve", {}).status_code == 200
    wait_poll_interval(body)
    done = ciba_poll(http, oidc, discovery, auth_req_id)
    assert done.status_code == 200, done.text
    tokens = done.json()
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["id_token"]
    assert 0 < tokens["expires_in"] <= oidc["access_token_ttl"]

    userinfo = http.get(discovery["userinfo_endpoint"],
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    claims = userinfo.json()
    assert claims["sub"] == demo_world.DR_MARTIN.login
    assert claims["SubjectNameID"] == demo_world.DR_MARTIN.national_id
    assert claims["family_name"] == demo_world.DR_MARTIN.family_name

    # The grant is consumed: a second poll cannot mint more tokens.
    wait_poll_interval(body)
    again = ciba_poll(http, oidc, discovery, auth_req_id)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_ciba_refused_gives_access_denied(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    started = ciba_start(http, oidc, discovery, demo_world.DR_BERNARD)
    auth_req_id = started.json()["auth_req_id"]
    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/refuse", {}).status_code == 200
    response = ciba_poll(http, oidc, discovery, auth_req_id)
    assert response.status_code == 400
    assert response.json()["error"] == "access_denied"
    # Not listed as pending any more, and cannot be approved afterwards.
    pending = control(http, oidc, "/ciba/requests").json()["requests"]
    assert auth_req_id not in {r["auth_req_id"] for r in pending}
    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/approve", {}).status_code == 409


def test_ciba_expired_gives_expired_token(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    started = ciba_start(http, oidc, discovery, demo_world.NURSE_PETIT)
    auth_req_id = started.json()["auth_req_id"]
    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/expire", {}).status_code == 200
    response = ciba_poll(http, oidc, discovery, auth_req_id)
    assert response.status_code == 400
    assert response.json()["error"] == "expired_token"


def test_ciba_polling_too_fast_gives_slow_down(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    started = ciba_start(http, oidc, discovery, demo_world.NURSE_MOREAU)
    auth_req_id = started.json()["auth_req_id"]
    # A long interval for this request only, so that two back-to-back polls are surely too fast.
    assert control(http, oidc, f"/ciba/requests/{auth_req_id}/interval",
                   {"seconds": 600}).status_code == 200
    first = ciba_poll(http, oidc, discovery, auth_req_id)
    assert first.json()["error"] == "authorization_pending"
    second = ciba_poll(http, oidc, discovery, auth_req_id)
    assert second.status_code == 400
    assert second.json()["error"] == "slow_down"
    control(http, oidc, f"/ciba/requests/{auth_req_id}/refuse", {})


@pytest.mark.parametrize(("extra", "error"), [
    ({"login_hint": "899999999999"}, "unknown_user_id"),
    ({"channel": "SMS"}, "invalid_request"),
    ({"binding_message": "ABC"}, "invalid_binding_message"),
    ({"acr_values": "eidas3"}, "invalid_request"),
])
def test_ciba_bad_requests_are_refused(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any],
        extra: dict[str, str], error: str) -> None:
    response = ciba_start(http, oidc, discovery, extra=extra)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


def test_ciba_needs_the_client_secret(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    response = http.post(discovery["backchannel_authentication_endpoint"], data={
        "scope": "openid scope_all", "login_hint": demo_world.DR_MARTIN.national_id},
        auth=(oidc["clients"]["ciba"]["client_id"], "not-the-secret"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


# --- authorization code + PKCE -------------------------------------------------------------------

def test_code_flow_with_pkce_end_to_end(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    """Native public client, loopback redirect on a run-time port, PKCE S256."""
    tokens = code_flow_tokens(http, sandbox, discovery, oidc, demo_world.DR_BERNARD.login)
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["id_token"]
    info = introspect(http, oidc, tokens["access_token"])
    assert info["active"] is True
    assert info["sub"] == demo_world.DR_BERNARD.login
    assert info["client_id"] == oidc["clients"]["native"]["client_id"]


def test_code_flow_login_form_accepts_the_national_id(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    tokens = code_flow_tokens(http, sandbox, discovery, oidc, demo_world.NURSE_PETIT.national_id)
    assert introspect(http, oidc, tokens["access_token"])["sub"] == demo_world.NURSE_PETIT.login


def test_code_flow_refuses_a_wrong_verifier(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    _verifier, challenge = pkce_pair()
    redirect_uri = loopback_redirect(oidc, 50123)
    query = browser_login(sandbox, discovery, oidc, demo_world.DR_MARTIN.login,
                          redirect_uri=redirect_uri, challenge=challenge)
    response = http.post(discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": query["code"][0],
        "redirect_uri": redirect_uri, "code_verifier": pkce_pair()[0],
        "client_id": oidc["clients"]["native"]["client_id"]})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_flow_requires_pkce(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    redirect_uri = loopback_redirect(oidc, 50124)
    response = http.get(discovery["authorization_endpoint"], params={
        "client_id": oidc["clients"]["native"]["client_id"], "response_type": "code",
        "scope": "openid", "redirect_uri": redirect_uri, "state": "s"})
    assert response.status_code in (302, 303)
    location = response.headers["location"]
    assert location.startswith(redirect_uri)
    assert parse_qs(urlsplit(location).query)["error"] == ["invalid_request"]


def test_code_flow_unknown_login_is_shown_the_form_again(
        sandbox: dict[str, Any], oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    params = {"client_id": oidc["clients"]["native"]["client_id"], "response_type": "code",
              "scope": "openid scope_all", "redirect_uri": loopback_redirect(oidc, 50125),
              "state": "s", "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"}
    with new_browser(sandbox) as browser:
        response = browser.get(discovery["authorization_endpoint"], params=params,
                               follow_redirects=True)
        assert 'name="login"' in response.text
        again = browser.post(str(response.url), data={"login": "nobody@example.org",
                                                       "action": "login"})
        assert again.status_code == 200
        assert "Identifiant inconnu" in again.text
        assert 'name="login"' in again.text


# --- refresh, introspection, revocation ----------------------------------------------------------

def test_refresh_works_for_ciba_and_code_flow(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    ciba = ciba_tokens(http, oidc, discovery, demo_world.DR_MARTIN)
    renewed = refresh(http, discovery, ciba["refresh_token"], auth=_ciba_auth(oidc))
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["access_token"] != ciba["access_token"]
    assert introspect(http, oidc, renewed.json()["access_token"])["active"] is True

    native_id = oidc["clients"]["native"]["client_id"]
    code = code_flow_tokens(http, sandbox, discovery, oidc, demo_world.DR_MARTIN.login)
    renewed = refresh(http, discovery, code["refresh_token"], client_id=native_id)
    assert renewed.status_code == 200, renewed.text
    new_tokens = renewed.json()
    assert introspect(http, oidc, new_tokens["access_token"])["sub"] == demo_world.DR_MARTIN.login
    # Public clients get rotated refresh tokens; the new one keeps working.
    assert new_tokens["refresh_token"] != code["refresh_token"]
    assert refresh(http, discovery, new_tokens["refresh_token"],
                   client_id=native_id).status_code == 200


def test_introspection_for_dovecot(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    """What Dovecot's oauth2 passdb relies on: POST + basic auth, active and sub."""
    tokens = ciba_tokens(http, oidc, discovery, demo_world.NURSE_MOREAU)
    info = introspect(http, oidc, tokens["access_token"])
    assert info["active"] is True
    assert info["sub"] == demo_world.NURSE_MOREAU.login
    assert "scope_all" in info["scope"].split()
    assert introspect(http, oidc, "not-a-token") == {"active": False}
    dovecot = oidc["clients"]["dovecot"]
    wrong = http.post(oidc["introspection_endpoint"], data={"token": tokens["access_token"]},
                      auth=(dovecot["client_id"], "wrong"))
    assert wrong.status_code == 401


def test_revoked_refresh_token_is_refused(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    """RFC 7009 revocation; the client must then end its session (ECO.1.2.6)."""
    tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_BERNARD)
    revoked = http.post(discovery["revocation_endpoint"],
                        data={"token": tokens["refresh_token"],
                              "token_type_hint": "refresh_token"},
                        auth=_ciba_auth(oidc))
    assert revoked.status_code == 200
    response = refresh(http, discovery, tokens["refresh_token"], auth=_ciba_auth(oidc))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_control_api_revokes_a_persons_session(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    """The PSC session ends elsewhere: access and refresh tokens die together (ECO.1.2.6)."""
    tokens = ciba_tokens(http, oidc, discovery, demo_world.NURSE_PETIT)
    assert introspect(http, oidc, tokens["access_token"])["active"] is True
    result = control(http, oidc, "/revoke", {"sub": demo_world.NURSE_PETIT.login})
    assert result.status_code == 200
    assert result.json()["revoked_grants"] >= 1
    assert introspect(http, oidc, tokens["access_token"])["active"] is False
    response = refresh(http, discovery, tokens["refresh_token"], auth=_ciba_auth(oidc))
    assert response.json()["error"] == "invalid_grant"


def test_access_token_lifetime_is_configurable_at_run_time(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any]) -> None:
    changed = control(http, oidc, "/settings", {"access_token_ttl": 5})
    assert changed.status_code == 200
    try:
        tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_MARTIN)
        assert tokens["expires_in"] == 5
    finally:
        previous = changed.json()["previous"]["access_token_ttl"]
        control(http, oidc, "/settings", {"access_token_ttl": previous})


def test_end_session_ends_the_browser_session(
        http: httpx.Client, oidc: dict[str, Any], discovery: dict[str, Any],
        sandbox: dict[str, Any]) -> None:
    """Log out through end_session_endpoint (MSSANTE §4): back to the client, session gone."""
    post_logout = oidc["clients"]["native"]["post_logout_redirect_uri"]
    with new_browser(sandbox) as browser:
        tokens = code_flow_tokens(http, sandbox, discovery, oidc, demo_world.DR_MARTIN.login,
                                  browser=browser)
        native_id = oidc["clients"]["native"]["client_id"]
        assert introspect(http, oidc, tokens["access_token"])["active"] is True
        page = browser.get(discovery["end_session_endpoint"], params={
            "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": post_logout,
            "state": "bye"})
        assert page.status_code == 200
        action = re.search(r'<form [^>]*action="([^"]+)"', page.text)
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
        assert action and xsrf, page.text
        confirmed = browser.post(action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"})
        assert follow_to(browser, confirmed, post_logout) == {"state": ["bye"]}

    # Logging out ends the grant: the tokens die with it (ECO.1.2.6).
    assert introspect(http, oidc, tokens["access_token"])["active"] is False
    response = refresh(http, discovery, tokens["refresh_token"], client_id=native_id)
    assert response.json()["error"] == "invalid_grant"


# --- the tokens on the mail servers --------------------------------------------------------------

def _imap_endpoint(sandbox: dict[str, Any]) -> dict[str, Any]:
    endpoint = sandbox.get("imaps")
    if not isinstance(endpoint, dict):
        pytest.skip("the sandbox has no IMAPS endpoint (Dovecot not started)")
    return endpoint


def _imap_login(sandbox: dict[str, Any], user: str, token: str) -> None:
    from imapclient import IMAPClient

    endpoint = _imap_endpoint(sandbox)
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    with IMAPClient(endpoint["host"], port=endpoint["port"], ssl=True, ssl_context=context,
                    timeout=15) as client:
        client.oauth2_login(user, token)
        assert client.select_folder("INBOX", readonly=True) is not None
        client.logout()


def test_imap_xoauth2_with_a_ciba_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    """ECO.1.2.1: the PSC access token over SASL XOAUTH2 on IMAP."""
    _imap_endpoint(sandbox)
    tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_MARTIN)
    _imap_login(sandbox, demo_world.DR_MARTIN.login, tokens["access_token"])


def test_imap_xoauth2_with_a_code_flow_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    """ECO.1.2.1 with a token from the browser flow."""
    _imap_endpoint(sandbox)
    tokens = code_flow_tokens(http, sandbox, discovery, oidc, demo_world.DR_BERNARD.login)
    _imap_login(sandbox, demo_world.DR_BERNARD.login, tokens["access_token"])


def test_imap_xoauth2_refuses_another_users_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    from imapclient.exceptions import LoginError

    _imap_endpoint(sandbox)
    tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_BERNARD)
    with pytest.raises(LoginError):
        _imap_login(sandbox, demo_world.DR_MARTIN.login, tokens["access_token"])


def test_imap_xoauth2_refuses_a_revoked_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    from imapclient.exceptions import LoginError

    _imap_endpoint(sandbox)
    tokens = ciba_tokens(http, oidc, discovery, demo_world.NURSE_MOREAU)
    assert control(http, oidc, "/revoke", {"token": tokens["access_token"]}).status_code == 200
    with pytest.raises(LoginError):
        _imap_login(sandbox, demo_world.NURSE_MOREAU.login, tokens["access_token"])


def _submission_endpoint(sandbox: dict[str, Any]) -> dict[str, Any]:
    endpoint = sandbox.get("submission")
    if not isinstance(endpoint, dict):
        pytest.skip("the sandbox has no SMTP submission endpoint (Postfix not started)")
    return endpoint


def _smtp_xoauth2(sandbox: dict[str, Any], user: str, token: str) -> tuple[int, bytes]:
    endpoint = _submission_endpoint(sandbox)
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    if endpoint.get("tls") == "implicit":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(endpoint["host"], endpoint["port"], timeout=15,
                                              context=context)
    else:
        smtp = smtplib.SMTP(endpoint["host"], endpoint["port"], timeout=15)
    with smtp:
        smtp.ehlo("estafette-test")
        if endpoint.get("tls") != "implicit":
            smtp.starttls(context=context)
            smtp.ehlo("estafette-test")
        assert "xoauth2" in smtp.esmtp_features.get("auth", "").lower()
        blob = base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()
        code, message = smtp.docmd("AUTH", f"XOAUTH2 {blob}")
        if code == 334:
            # The server's error challenge (the JSON status); an empty reply ends the exchange.
            code, message = smtp.docmd("")
        return code, message


def test_smtp_xoauth2_with_a_ciba_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    """ECO.1.2.1 on SMTP submission: Postfix asks Dovecot, which introspects the token."""
    _submission_endpoint(sandbox)
    tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_MARTIN)
    code, message = _smtp_xoauth2(sandbox, demo_world.DR_MARTIN.login, tokens["access_token"])
    assert code == 235, message


def test_smtp_xoauth2_refuses_another_users_token(
        http: httpx.Client, sandbox: dict[str, Any], oidc: dict[str, Any],
        discovery: dict[str, Any]) -> None:
    _submission_endpoint(sandbox)
    tokens = ciba_tokens(http, oidc, discovery, demo_world.DR_BERNARD)
    code, _message = _smtp_xoauth2(sandbox, demo_world.DR_MARTIN.login, tokens["access_token"])
    assert code == 535
