"""The real site, built once per session from the committed cache with --frozen."""
import functools
import http.server
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
    """Serves the site under /repo/, as GitHub Pages serves a project site; records 404s."""

    missing: list[str] = []

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
