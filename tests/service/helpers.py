"""Shared test helpers: tokens per role, the one JSON error shape, responses matching the OpenAPI document."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask
from openapi_schema_validator import OAS30Validator
from werkzeug.test import TestResponse

from service.openapi import openapi_document
from service.settings import defaults
from service.tokens import create_token

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/15"


class AuthActions:
    """Tokens for each role, created on first use in the app's database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.tokens: dict[str, str] = {}

    def token(self, role: str = "bot") -> str:
        if role not in self.tokens:
            self.tokens[role] = create_token(self.app.extensions["triage.db"], f"test-{role}", role)
        return self.tokens[role]

    def headers(self, role: str = "bot") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}


def assert_error(response: TestResponse, status: int, code: str, mentions: str | None = None) -> dict:
    """The response is `{"error": {"code", "message"}}` with this status and code (and nothing else)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if mentions is not None:
        assert mentions in body["error"]["message"], body
    assert_documented(response, _path_of(response), response.request.method)
    return body["error"]


@lru_cache(maxsize=1)
def _document() -> dict:
    return openapi_document(defaults())


def _path_of(response: TestResponse) -> str:
    path = response.request.path
    for template in _document()["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    return path


def assert_documented(response: TestResponse, path: str | None = None, method: str | None = None) -> None:
    """The status is documented for this operation and the JSON body matches its schema.

    404 and 405 on undocumented paths or methods are covered by the document's general note.
    """
    document = _document()
    path = path or _path_of(response)
    method = (method or response.request.method).lower()
    operation = document["paths"].get(path, {}).get(method)
    status = str(response.status_code)
    if operation is None or (status not in operation["responses"] and status in {"404", "405"}):
        assert status in {"404", "405"}, f"{method.upper()} {path} -> {status} is not documented"
        schema = {"$ref": "#/components/schemas/Error"}
    else:
        assert status in operation["responses"], f"{method.upper()} {path} -> {status} is not documented"
        content = operation["responses"][status]["content"]
        media = "application/json" if "application/json" in content else next(iter(content))
        schema = content[media]["schema"]
        if media != "application/json":
            return
    OAS30Validator({**schema, "components": document["components"]}).validate(response.get_json())
