"""What the browser tests share: Chromium, the vendored axe-core, opening the report, counting bytes.
(Fixtures are in conftest.py; this is a plain module, so no test module imports another.)"""
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# Bytes as a reader downloads them from Pages: text gzip-compressed (tests/site_fixture.py), images as they are.
TRANSFERRED = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
    .reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0)"""


def open_report(browser, server, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "cs180proj5/", wait_until="networkidle")
    return ctx, page, errors


def load_all_images(page):
    page.evaluate("""async () => {
        const imgs = [...document.images];
        imgs.forEach(i => i.loading = 'eager');
        await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
    }""")
