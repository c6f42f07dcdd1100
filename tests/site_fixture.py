"""The real site, built once per session from the committed cache with --frozen."""
import functools
import gzip
import http.server
import io
import os
import socketserver
import threading
from pathlib import Path

import pytest

from generator.engine import cli


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """FWD_SITE=path checks an already built site instead (e.g. one built with other options)."""
    if os.environ.get("FWD_SITE"):
        return Path(os.environ["FWD_SITE"])
    out = tmp_path_factory.mktemp("site") / "site"
    code = cli.main(["--frozen", "--site", str(out)])
    assert code == 0, "python build.py --frozen failed: the committed cache is incomplete"
    return out


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under /repo/, as GitHub Pages serves a project site; records 404s. Like Pages, it
    sends text (HTML, CSS, JS, JSON, SVG) gzip-compressed to a browser that accepts it, so the bytes a test
    counts are the bytes a reader downloads; images go as they are (they are compressed already)."""

    missing: list[str] = []
    COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".txt"}

    def send_head(self):
        path = Path(self.translate_path(self.path.split("?")[0]))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if (path.suffix not in self.COMPRESSED or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def translate_path(self, path):
        if not path.startswith("/repo/"):
            return "/nonexistent"
        return super().translate_path(path[len("/repo"):])

    def send_error(self, code, *args, **kwargs):
        if code == 404:
            SubPathHandler.missing.append(self.path)
        super().send_error(code, *args, **kwargs)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(SubPathHandler, directory=str(site))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/repo/"
    httpd.shutdown()
