"""/openapi.json: a valid OpenAPI 3.0 document describing exactly the routes the app serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from service.errors import PAGE_BLUEPRINTS
from tests.service.helpers import assert_documented


def test_the_document_is_valid_openapi_3(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert_documented(response)
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    validate(document)


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    documented = {(re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
                  for path, operations in client.get("/openapi.json").get_json()["paths"].items()
                  for method in operations}
    served = {(rule.rule, method) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static" and rule.endpoint.partition(".")[0] not in PAGE_BLUEPRINTS
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_documented_limits_follow_the_configuration(make_app):
    document = make_app(BATCH_MAX=7, MAX_CONTENT_LENGTH=2048).test_client().get("/openapi.json").get_json()
    assert document["components"]["schemas"]["BatchRequest"]["properties"]["messages"]["maxItems"] == 7
    assert "2048 bytes" in document["info"]["description"]


def test_only_open_endpoints_skip_authentication(client):
    document = client.get("/openapi.json").get_json()
    open_paths = {path for path, operations in document["paths"].items()
                  for operation in operations.values() if operation.get("security") == []}
    assert open_paths == {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    for path in open_paths:
        assert client.get(path).status_code in {200, 503}
