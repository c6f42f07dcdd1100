"""axe-core (vendored, tests/browser/vendor/) finds no accessibility violation on the report, at a
phone's, a tablet's and a desktop's width, in the light and the dark scheme."""
import pytest

from .pages import AXE, load_all_images, open_report


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 768, 1280])
def test_axe_finds_no_violation(browser, server, width, scheme):
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
