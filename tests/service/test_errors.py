"""Every error is `{"error": {"code", "message"}}` with the right status; no input gives a 500."""

from __future__ import annotations

import logging

import pytest

from tests.service.helpers import assert_error


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc",
                                    "Bearer trg_not-a-real-token", "bearer   "])
def test_missing_malformed_or_unknown_tokens_are_401(client, auth, header):
    auth.token()  # a real token exists, so an unknown one is really compared
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/v1/classify", json={"text": "chào"}, headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_scheme_is_case_insensitive(client, auth):
    response = client.post("/v1/classify", json={"text": "chào"},
                           headers={"Authorization": f"bearer {auth.token()}"})
    assert response.status_code == 200


def test_auth_comes_before_body_checks(client):
    response = client.post("/v1/classify", data="not json", headers={"Content-Type": "text/plain"})
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/classify/", "/v2/classify", "/v1/messages/x/labels",
                                  "/%ff", "/v1/messages//label"])
def test_unknown_paths_are_json_404(client, path):
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/classify"), ("PUT", "/v1/classify"), ("DELETE", "/v1/classify/batch"),
    ("GET", "/v1/messages/abc/label"), ("POST", "/healthz"), ("POST", "/metrics"), ("DELETE", "/v1/messages/abc"),
])
def test_wrong_methods_are_json_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"]


def test_an_unexpected_exception_is_a_json_500_logged_without_its_message(app, caplog):
    secret_text = "số điện thoại 0912345678 của người báo tin"

    @app.get("/boom")
    def boom():
        raise RuntimeError(secret_text)

    logger = logging.getLogger("triage.service")
    logger.addHandler(caplog.handler)
    try:
        response = app.test_client().get("/boom")
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error",
                                             "message": "Internal error; the incident was logged."}}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "boom" in logged
    assert "0912345678" not in logged and secret_text not in logged
