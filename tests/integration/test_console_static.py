"""The console's static routes: content types, cache headers (vendored paths carry their version: immutable; our
own files revalidate with an ETag and answer 304), the OpenAPI document listing them, files read once."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


@pytest.mark.parametrize("path,content_type", [
    ("/console", "text/html; charset=utf-8"), ("/docs", "text/html; charset=utf-8"),
    ("/console/assets/app.js", "text/javascript; charset=utf-8"),
    ("/console/assets/console.css", "text/css; charset=utf-8"),
    ("/console/vendor/echarts@6.1.0/echarts.min.js", "text/javascript; charset=utf-8"),
    ("/console/vendor/swagger-ui-dist@5.35.0/swagger-ui.css", "text/css; charset=utf-8"),
    ("/console/vendor/echarts@6.1.0/LICENSE", "text/plain; charset=utf-8"),
])
def test_files_answer_with_their_content_type(client, path, content_type):
    res = client.http.get(path)
    assert res.status_code == 200 and res.headers["Content-Type"] == content_type


def test_vendored_files_are_immutable_and_our_own_revalidate_with_an_etag(client):
    vendored = client.http.get("/console/vendor/echarts@6.1.0/echarts.min.js")
    assert vendored.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    page = client.http.get("/console/assets/app.js")
    assert page.headers["Cache-Control"] == "no-cache"
    again = client.http.get("/console/assets/app.js", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    assert again.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    stale = client.http.get("/console/assets/app.js", headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200 and stale.body == page.body


def test_files_are_read_once_per_container(client, monkeypatch):
    from functions import console

    console._read.cache_clear()
    reads = []
    real = console.Path.read_text

    def counting(self, *args, **kwargs):
        reads.append(self.name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(console.Path, "read_text", counting)
    for _ in range(3):
        assert client.http.get("/console/assets/lib.js").status_code == 200
    assert reads.count("lib.js") == 1


def test_the_openapi_document_lists_the_console_routes():
    import yaml

    from functions.admin_api import OPENAPI

    paths = yaml.safe_load(OPENAPI.read_text())["paths"]
    for path in ("/console", "/console/assets/{name}", "/console/vendor/{package}/{name}", "/docs",
                 "/accounts/{account_id}/callback-check"):
        assert path in paths, path
    assert "text/html" in paths["/console"]["get"]["responses"]["200"]["content"]
