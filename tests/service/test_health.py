"""GET /healthz, /readyz and /metrics: open, JSON (or Prometheus text), documented."""

from __future__ import annotations

import re

from tests.service.helpers import assert_documented


def test_healthz_is_open_and_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert_documented(response)


def test_readyz_reports_model_database_and_spool(client, engine, database_url):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["model"] == {"ok": True, "version": engine.model_version}
    assert body["database"] == {"ok": True, "dialect": database_url.split(":")[0].split("+")[0]}
    assert body["spool"] == {"pending": 0}


def test_metrics_count_requests_latency_labels_and_reviews(client, auth, engine):
    texts = ["nhà tôi bị trộm xe máy", "xin chào", "làm căn cước cần gì", "ờ"]
    results = [client.post("/v1/classify", json={"text": t}, headers=auth.headers()).get_json() for t in texts]
    client.post("/v1/classify", json={"text": ""}, headers=auth.headers())
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert 'triage_http_requests_total{endpoint="/v1/classify",method="POST",status="200"} 4.0' in text
    assert 'triage_http_requests_total{endpoint="/v1/classify",method="POST",status="400"} 1.0' in text
    assert re.search(r'triage_http_request_duration_seconds_bucket\{endpoint="/v1/classify",le="\+Inf",'
                     r'method="POST",status="200"\} 4\.0', text)
    for label in {r["label"] for r in results}:
        count = sum(r["label"] == label for r in results)
        assert f'triage_labels_total{{label="{label}"}} {count}.0' in text
    assert f"triage_needs_review_total {sum(r['needs_review'] for r in results)}.0" in text
    assert f'triage_model_info{{version="{engine.model_version}"}} 1.0' in text


def test_every_response_carries_a_request_id(client):
    given = client.get("/healthz", headers={"X-Request-ID": "zalo-abc.123"})
    assert given.headers["X-Request-ID"] == "zalo-abc.123"
    for bad in ("", "a b", "x" * 65, "<script>"):
        made = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert client.get("/nope").headers["X-Request-ID"]
