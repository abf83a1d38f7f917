"""Fixtures of the integration tests that several modules share."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.psc_helpers import Control


@pytest.fixture(scope="module")
def oidc(sandbox: dict[str, Any]) -> dict[str, Any]:
    fragment: dict[str, Any] = sandbox["oidc"]
    return fragment


@pytest.fixture
def control(sandbox: dict[str, Any], oidc: dict[str, Any]) -> Iterator[Control]:
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox["ca_file"]),
                      timeout=10) as http:
        yield Control(http, oidc)
