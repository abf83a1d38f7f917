"""Shared by the Pro Santé Connect tests: the sandbox provider's control API (playing the
professional's phone or card) and a way to run one coroutine from a plain test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def wrapper() -> T:
        return await coro

    return asyncio.run(wrapper())


class Control:
    """The sandbox's control API: the professional's phone or card, token lifetimes."""

    def __init__(self, http: httpx.Client, oidc: dict[str, Any]) -> None:
        self.http = http
        self.oidc = oidc

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.oidc['control_url']}{path}"
        response = self.http.post(url, json=body) if body is not None else self.http.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    def pending(self, sub: str, binding_code: str) -> dict[str, Any]:
        requests = self.call(f"/ciba/requests?sub={sub}")["requests"]
        mine = [r for r in requests if r["binding_message"] == binding_code]
        assert mine, requests
        # Two random codes may collide with a leftover request: the newest is this client's.
        request: dict[str, Any] = max(mine, key=lambda r: r["created_at"])
        return request

    def act(self, sub: str, binding_code: str, action: str) -> dict[str, Any]:
        request = self.pending(sub, binding_code)
        self.call(f"/ciba/requests/{request['auth_req_id']}/{action}", {})
        return request

    def approve(self, sub: str, binding_code: str) -> dict[str, Any]:
        return self.act(sub, binding_code, "approve")

    def introspect(self, token: str) -> dict[str, Any]:
        client = self.oidc["clients"]["dovecot"]
        response = self.http.post(self.oidc["introspection_endpoint"], data={"token": token},
                                  auth=(client["client_id"], client["client_secret"]))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result
