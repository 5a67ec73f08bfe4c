"""Property-based fuzzing of every API operation of /openapi.json: never a 5xx, every error in the one shape.

Hypothesis draws methods, bodies (schema-shaped objects, arbitrary JSON, raw bytes), content
types, Authorization headers and path parameters. Examples are bounded (FUZZ_EXAMPLES per
operation, no deadline) so the file runs in well under a minute on SQLite.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import CODES
from service.openapi import openapi_document
from service.settings import defaults
from tests.service.helpers import assert_documented

FUZZ_EXAMPLES = int(os.environ.get("TRIAGE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
OPERATIONS = [(method.upper(), path) for path, item in openapi_document(defaults())["paths"].items()
              for method in item]
# Codes other than CODES[status] that a 400 may carry.
EXTRA_400_CODES = {"invalid_json", "invalid_field"}
FIELDS = {"text", "msg_id", "sender_id", "commune", "messages", "label", "urgent", "procedure_id", "note"}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
# Objects that look like the schemas (known field names, wild values), so validation is reached in depth.
shaped = st.dictionaries(st.sampled_from(sorted(FIELDS)),
                         json_values | st.sampled_from(["crime_tip", "procedure", "chat", "tach_ho", "dai_hong",
                                                        "trộm xe máy ở thôn Đông", ""]),
                         max_size=5)
batch = st.builds(lambda items: {"messages": items}, st.lists(shaped | json_values, max_size=4))
bodies = st.one_of(
    shaped.map(lambda body: json.dumps(body, ensure_ascii=False).encode("utf-8")),
    batch.map(lambda body: json.dumps(body).encode("utf-8")),
    json_values.map(lambda body: json.dumps(body).encode("utf-8")),
    st.binary(max_size=200),
    st.none(),
)
content_types = st.sampled_from([None, "application/json", "application/json; charset=utf-8",
                                 "application/json; charset=latin-1", "text/plain",
                                 "application/x-www-form-urlencoded", "application/problem+json", "*/*"])
auth_headers = st.sampled_from(["bot", "officer", "analyst", "admin", None, "", "Bearer", "Bearer x",
                                "Basic dXNlcjpwYXNz", "Bearer \u00e9\u00e9"])
path_ids = st.one_of(st.just("known"), st.text(min_size=1, max_size=60), st.sampled_from(
    ["..", "%00", "x" * 300, "<script>", "' OR 1=1 --", "ffffffffffffffffffffffffffffffff"]))
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"])


@pytest.fixture
def database_url(tmp_path) -> str:
    """Fuzzing is about request handling, not storage: SQLite only keeps the file fast."""
    return f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"


def check_response(response, method: str, template: str) -> None:
    """No 5xx; errors are `{"error": {"code", "message"}}` with a code fitting the status; documented."""
    status = response.status_code
    assert status < 500, (method, response.request.path, status, response.get_data(as_text=True)[:300])
    if status >= 400:
        assert response.mimetype == "application/json", (status, response.mimetype)
        body = response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        code, message = body["error"]["code"], body["error"]["message"]
        assert code == CODES[status] or (status == 400 and code in EXTRA_400_CODES), (status, code)
        assert isinstance(message, str) and message
    if method in {"GET", "POST"}:
        assert_documented(response, template, method)


@pytest.mark.parametrize(("method", "template"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_5xx_or_an_undocumented_error(app, client, auth, method, template):
    known = client.post("/v1/classify", json={"text": "mất xe máy ở chợ"}, headers=auth.headers()).get_json()

    @FUZZ
    @given(data=st.data())
    def run(data):
        use_method = data.draw(st.sampled_from([method, method, method]) | methods, label="method")
        path_id = data.draw(path_ids, label="message_id")
        path = template.replace("{message_id}", known["message_id"] if path_id == "known"
                                else quote(path_id, safe=""))
        headers = {}
        who = data.draw(auth_headers, label="authorization")
        if who in {"bot", "officer", "analyst", "admin"}:
            headers.update(auth.headers(who))
        elif who is not None:
            headers["Authorization"] = who
        content_type = data.draw(content_types, label="content_type")
        if content_type:
            headers["Content-Type"] = content_type
        body = data.draw(bodies, label="body") if use_method != "GET" else None
        response = client.open(path, method=use_method, data=body, headers=headers)
        check_response(response, use_method, template)

    run()
