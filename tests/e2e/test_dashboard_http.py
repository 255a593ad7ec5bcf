"""The dashboard as HTTP serves it (http/static.c): GET / and its hashed
assets are in the binary, gzip-compressed when asked, with strong ETags
(304 on If-None-Match), cache headers (index: no-cache; hashed assets:
a year, immutable), a Content-Security-Policy without inline script,
nosniff and no-referrer; an unknown asset is 404; and with auth_reads the
page itself needs no token (it holds no data) while the data calls do."""

import gzip
import re

from conftest import LISTEN_RE, Daemon, poll, strict_json

TOKEN = "dash-token-0123456789abcdef"


def start(weir, tmp_path, http=None):
    log = tmp_path / "a.log"
    log.write_text("x\n")
    return weir.start(sources=[{"name": "app", "path": log}],
                      rules=[{"name": "x", "match": "x"}], http=http)


def asset_paths(html):
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


def test_index_and_assets_with_gzip_etag_and_headers(weir, tmp_path):
    d = start(weir, tmp_path)
    status, h, body = d.request("/")
    assert status == 200
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["vary"] == "Accept-Encoding"
    assert "content-encoding" not in h
    html = body.decode()
    assert "<title>weir</title>" in html
    assets = asset_paths(html)
    assert sorted(p.rsplit(".", 1)[1] for p in assets) == ["css", "js"], assets

    # gzip when asked: the same bytes once inflated, another strong tag
    gs, gh, gbody = d.request("/", headers={"Accept-Encoding": "gzip"})
    assert gs == 200 and gh["content-encoding"] == "gzip"
    assert gzip.decompress(gbody) == body
    assert gh["etag"] != h["etag"] and not gh["etag"].startswith("W/")

    # 304 on a matching tag, for each representation; 200 on another tag
    for hdrs, tag in (({}, h["etag"]), ({"Accept-Encoding": "gzip"}, gh["etag"])):
        s, h304, b304 = d.request("/", headers={**hdrs, "If-None-Match": tag})
        assert s == 304 and b304 == b"" and h304["etag"] == tag
    s, _, _ = d.request("/", headers={"If-None-Match": '"other"'})
    assert s == 200

    for path in assets:
        s, ah, ab = d.request(path, headers={"Accept-Encoding": "gzip"})
        assert s == 200, path
        assert ah["cache-control"] == "public, max-age=31536000, immutable"
        assert ah["content-type"].startswith("text/javascript" if path.endswith(".js") else "text/css")
        assert ah["x-content-type-options"] == "nosniff"
        raw = gzip.decompress(ab)
        assert len(raw) > 1000
        s, _, _ = d.request(path, headers={"If-None-Match": ah["etag"], "Accept-Encoding": "gzip"})
        assert s == 304

    # HEAD has the headers and no body
    s, hh, hb = d.request("/", method="HEAD")
    assert s == 200 and hb == b"" and hh["etag"] == h["etag"]


def test_unknown_asset_is_404_and_writes_are_refused(weir, tmp_path):
    d = start(weir, tmp_path)
    for path in ("/assets/nope.js", "/assets/../weir.yaml", "/index.html", "/assets/"):
        s, h, body = d.request(path)
        assert s == 404, path
        assert strict_json(body)["error"]["status"] == 404
    s, h, _ = d.request("/", method="POST", body=b"")
    assert s in (403, 405), s


def test_page_needs_no_token_but_data_does(weir, tmp_path):
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    log = tmp_path / "a.log"
    log.write_text("x\n")
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=[{"name": "x", "match": "x"}],
                      http=f"{{token_file: {tok}, auth_reads: true}}")
    # the fixture's start() waits for a snapshot, which needs the token here
    d = Daemon(cfg, tmp_path / "weir-auth.stderr")
    weir.daemons.append(d)
    assert poll(lambda: LISTEN_RE.search(d.stderr())), d.stderr()
    d.port = int(LISTEN_RE.search(d.stderr()).group(1))
    s, _, body = d.request("/")
    assert s == 200
    for path in asset_paths(body.decode()):
        s, _, _ = d.request(path)
        assert s == 200, path
    s, h, _ = d.request("/api/v1/snapshot")
    assert s == 401 and "bearer" in h["www-authenticate"].lower()
    s, _, _ = d.request("/api/v1/snapshot", headers={"Authorization": "Bearer " + TOKEN})
    assert s == 200
