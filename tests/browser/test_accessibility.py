"""axe-core (vendored, tests/browser/vendor/) finds no accessibility violation on the report, at a
phone's, a tablet's and a desktop's width, in the light and the dark scheme."""
from pathlib import Path

import pytest

from ..site_fixture import server, site  # noqa: F401  (fixtures)
from .test_page import browser, load_all_images, open_report  # noqa: F401  (fixture)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 768, 1280])
def test_axe_finds_no_violation(browser, server, width, scheme):  # noqa: F811
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900}, color_scheme=scheme,
                               reduced_motion="reduce")
    load_all_images(page)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
    }""")
    assert violations == [], violations
    ctx.close()
