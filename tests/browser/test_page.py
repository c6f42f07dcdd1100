"""The page in a real browser: Debian's Chromium driven by Playwright, the site served under /repo/."""
import os
import re
from pathlib import Path

import pytest

from ..site_fixture import SubPathHandler
from .pages import AXE, CHROMIUM, TRANSFERRED, load_all_images, open_report

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")]


def test_every_image_loads_without_404_or_console_error(browser, server):
    SubPathHandler.missing.clear()
    ctx, page, errors = open_report(browser, server)
    load_all_images(page)
    # (the lightbox's own <img> has no source until it opens)
    broken = page.evaluate("[...document.images].filter(i => !i.closest('dialog') && !(i.naturalWidth > 0))"
                           ".map(i => i.src)")
    sprites = page.evaluate("[...document.querySelectorAll('[data-trajectory] canvas')].length")
    assert page.evaluate("document.images.length") > 40
    assert broken == [] and SubPathHandler.missing == [] and errors == []
    assert sprites == page.evaluate("document.querySelectorAll('[data-trajectory]').length") > 10
    ctx.close()


def test_table_of_contents_scrolls_to_each_section(browser, server):
    ctx, page, _ = open_report(browser, server, reduced_motion="reduce")
    load_all_images(page)
    links = page.evaluate("[...document.querySelectorAll('nav.toc a')].map(a => a.getAttribute('href'))")
    assert len(links) == 16   # sections 1-15 and "the coolest thing"
    for href in (links[0], links[6], links[-2]):
        page.click(f"nav.toc a[href='{href}']")
        page.wait_for_timeout(600)
        top = page.evaluate(f"document.querySelector('{href}').getBoundingClientRect().top")
        assert abs(top) < 40, (href, top)
    ctx.close()


def test_trajectory_slider_moves_with_arrow_keys(browser, server):
    ctx, page, _ = open_report(browser, server)
    index = page.evaluate("[...document.querySelectorAll('[data-trajectory]')].findIndex(e => +e.dataset.frames >= 5)")
    viewer = page.locator("figure.fig-trajectory").nth(index)
    viewer.scroll_into_view_if_needed()
    slider = viewer.locator("input[type=range]")
    label = viewer.locator("output")
    before = (viewer.locator("canvas").get_attribute("data-frame"), label.inner_text())
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    after = (viewer.locator("canvas").get_attribute("data-frame"), label.inner_text())
    assert before[0] == "0" and after[0] == "3" and before[1] != after[1]
    page.keyboard.press("End")
    frames = int(viewer.locator("[data-trajectory]").get_attribute("data-frames"))
    assert viewer.locator("canvas").get_attribute("data-frame") == str(frames - 1)
    ctx.close()


def test_viewer_replaces_the_animation(browser, server):
    """With scripts on, each trajectory shows its canvas; the animated image it replaces is not even in
    the document (it sits in <noscript>)."""
    ctx, page, _ = open_report(browser, server)
    shown = page.evaluate("""[...document.querySelectorAll('[data-trajectory]')].map(box => [
        box.querySelector('canvas').getBoundingClientRect().height > 0, box.querySelector('img')])""")
    assert len(shown) > 10
    assert all(canvas and img is None for canvas, img in shown), shown
    ctx.close()


# Counted as a reader downloads them from Pages (pages.TRANSFERRED).
BEFORE_SCROLLING = 100_000    # measured 59 KB at 1280 px, 55 KB at 390 px (2026-12-06)
AFTER_SCROLLING = 4_000_000   # measured 3.86 MB (2026-12-06); 4.50 MB with 60-frame trajectories, before they showed every k-th step


@pytest.mark.parametrize("width", [390, 1280])
def test_bytes_before_and_after_scrolling_stay_within_budget(browser, server, width):
    """BEFORE_SCROLLING before the reader scrolls, AFTER_SCROLLING after scrolling the whole page; each
    trajectory is fetched once (its sprite sheet, never the animated fallback, nor its GIF)."""
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900})
    before = page.evaluate(TRANSFERRED)
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 900, 900):      # a screen at a time, as a reader flicks through it
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(60)
    page.wait_for_load_state("networkidle")
    after = page.evaluate(TRANSFERRED)
    names = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    sprites = page.evaluate("[...document.querySelectorAll('[data-trajectory]')].map(b => b.dataset.sprite)")
    assert before <= BEFORE_SCROLLING, f"{before / 1e6:.3f} MB before scrolling"
    assert after <= AFTER_SCROLLING, f"{after / 1e6:.2f} MB after scrolling"
    fallbacks = page.evaluate("""[...document.querySelectorAll('[data-trajectory] noscript')]
        .map(n => (n.textContent.match(/src="([^"]+)"/) || [])[1])""")
    assert len(fallbacks) == len(sprites) and all(fallbacks)
    assert not [n for n in names if any(n.endswith(f.split("/")[-1]) for f in fallbacks)]   # never the animation
    assert not [n for n in names if n.endswith(".gif")]   # GIFs only when asked for
    demo = page.evaluate("""[...document.querySelectorAll('[data-demo]')].flatMap(b => [b.dataset.model,
        b.dataset.config, ...Object.values(JSON.parse(b.dataset.runtime || '{}'))]).concat(['demo.js'])""")
    assert len(demo) > 3 and not [n for n in names if any(n.endswith(d.split("/")[-1]) for d in demo)]   # "Try it" only
    assert all(sum(n.endswith(s.split("/")[-1]) for n in names) == 1 for s in sprites)
    ctx.close()


def test_comparison_slider_and_lightbox(browser, server):
    ctx, page, _ = open_report(browser, server)
    comp = page.locator("[data-compare]").first
    comp.scroll_into_view_if_needed()
    comp.locator("input").fill("20")
    assert comp.evaluate("e => e.style.getPropertyValue('--reveal')") == "20%"
    # one divider per tile: the mask that hides the 'after' image repeats with the tile's period
    period = comp.evaluate("e => e.style.getPropertyValue('--period')")
    cols = int(comp.evaluate("e => getComputedStyle(e.closest('.labelled')).getPropertyValue('--cols')"))
    assert cols > 1 and abs(float(period.rstrip("%")) - 100 / cols) < 2
    size = comp.evaluate("e => getComputedStyle(e.querySelector('.after')).webkitMaskSize")
    assert size.startswith(period.strip()), size
    img = page.locator("figure.fig-image img").first
    img.scroll_into_view_if_needed()
    img.click()
    assert page.evaluate("document.querySelector('dialog.lightbox').open")
    ctx.close()


def test_readable_without_javascript(browser, server):
    ctx, page, _ = open_report(browser, server, java_script_enabled=False)
    assert "Classifier Free Guidance" in page.inner_text("main")
    anims = page.locator("[data-trajectory] noscript img, [data-trajectory] img")
    assert anims.count() > 10 and anims.first.is_visible()
    ctx.close()


def test_small_images_are_pixelated_and_dark_mode_follows_the_system(browser, server):
    ctx, page, _ = open_report(browser, server, color_scheme="dark")
    rendering = page.evaluate("getComputedStyle(document.querySelector('figure img.pixelated')).imageRendering")
    assert rendering == "pixelated"
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(22, 24, 27)"
    ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name,width", [("desktop", 1280), ("tablet", 768), ("phone", 390)])
def test_screenshots_and_phone_layout(browser, server, tmp_path, name, width, scheme):
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900}, color_scheme=scheme)
    load_all_images(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"horizontal overflow of {overflow}px at {width}px"
    out = Path(os.environ.get("SCREENSHOT_DIR", tmp_path)) / f"{name}-{scheme}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 50_000
    ctx.close()


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_row_labels_sit_inside_their_rows(browser, server, width):
    """Each row label's vertical centre lies inside its row of the picture, no two row labels overlap,
    and no column label's text runs into the next one or past the end of its row."""
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900})
    load_all_images(page)
    bad = page.evaluate("""() => {
        const out = [];
        for (const fig of document.querySelectorAll('.labelled.has-rows')) {
            const media = [...fig.querySelectorAll('.labelled-media canvas, .labelled-media img')]
                .find(e => e.getBoundingClientRect().height > 0);
            const m = media.getBoundingClientRect();
            const spans = [...fig.querySelectorAll('.row-labels span')];
            spans.forEach((s, i) => {
                const r = s.getBoundingClientRect(), c = (r.top + r.bottom) / 2;
                const top = m.top + i * m.height / spans.length, bottom = top + m.height / spans.length;
                if (c < top || c > bottom) out.push([fig.closest('figure').id, s.textContent, c - top, bottom - top]);
                if (i && r.top < spans[i - 1].getBoundingClientRect().bottom - 0.5)
                    out.push([fig.closest('figure').id, s.textContent, 'overlaps the label above']);
            });
        }
        // column labels: the text of each ends before the next label's box begins
        for (const row of document.querySelectorAll('.col-labels')) {
            const spans = [...row.querySelectorAll(':scope > span')];
            for (let i = 1; i < spans.length; i++) {
                const text = document.createRange();
                text.selectNodeContents(spans[i - 1]);
                if (text.getBoundingClientRect().right > spans[i].getBoundingClientRect().left + 0.5)
                    out.push([row.closest('figure').id, spans[i - 1].textContent, 'runs into the next column label']);
            }
            // ... and no label's text runs past either end of the row (the figure's edge clips it)
            const edge = row.getBoundingClientRect();
            for (const s of spans) {
                const text = document.createRange();
                text.selectNodeContents(s);
                const r = text.getBoundingClientRect();
                if (r.left < edge.left - 0.5 || r.right > edge.right + 0.5)
                    out.push([row.closest('figure').id, s.textContent, 'runs past the end of its row']);
            }
        }
        return out;
    }""")
    assert not bad, bad
    ctx.close()


def test_keyboard_reaches_the_skip_link_and_every_wide_table(browser, server):
    """The first Tab lands on a visible skip link; every table that scrolls sideways can take focus."""
    ctx, page, _ = open_report(browser, server, viewport={"width": 390, "height": 800})
    page.keyboard.press("Tab")
    skip = page.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect();
                                   return [a.className, r.top >= 0 && r.bottom > 0]; }""")
    assert skip == ["skip-link", True], skip
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    unreachable = page.evaluate("""[...document.querySelectorAll('.table-wrap')]
        .filter(w => w.scrollWidth > w.clientWidth && w.tabIndex < 0).length""")
    wide = page.evaluate("[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length")
    assert wide > 0 and unreachable == 0, (wide, unreachable)
    ctx.close()


def test_lightbox_opens_from_the_keyboard_with_caption_and_a_close_button_off_the_image(browser, server):
    ctx, page, _ = open_report(browser, server)
    for selector, pixelated in (("figure.fig-image img[data-zoom]", True), ("figure.fig-plot img[data-zoom]", False)):
        img = page.locator(selector).first
        img.scroll_into_view_if_needed()
        img.focus()
        page.keyboard.press("Enter")
        state = page.evaluate("""() => {
            const d = document.querySelector('dialog.lightbox'), big = d.querySelector('img');
            const c = d.querySelector('.close').getBoundingClientRect(), b = big.getBoundingClientRect();
            const overlap = !(c.bottom <= b.top || c.top >= b.bottom || c.right <= b.left || c.left >= b.right);
            return [d.open, d.querySelector('.lightbox-bar p').textContent, overlap,
                    getComputedStyle(big).imageRendering, document.activeElement.className];
        }""")
        is_open, caption, overlap, rendering, focused = state
        assert is_open and caption.startswith("Figure") and not overlap and focused == "close", state
        assert (rendering == "pixelated") == pixelated, (selector, rendering)
        page.keyboard.press("Escape")
        assert not page.evaluate("document.querySelector('dialog.lightbox').open")
    ctx.close()


def after(tile, prop: str) -> str:
    """A computed property of an overlay tile's ::after (the picture it lays over the grid)."""
    return tile.evaluate(f"t => getComputedStyle(t, '::after').{prop}")


def check_overlay_responds(page, tiles, prop: str, at_rest: str, active: tuple, touch: bool) -> None:
    """The first overlay tile shows ``at_rest`` for ``prop`` and a value in ``active`` when turned.
    On a touch screen (which keeps ``:hover`` on the last tapped element): a tap turns it, a second tap
    turns it back, and a tap elsewhere turns it back too. With a mouse: hovering turns it, leaving turns
    it back. From the keyboard: focus alone turns nothing; Enter turns it, Space turns it back."""
    first = tiles.first
    assert after(first, prop) == at_rest
    if touch:
        first.tap()
        assert after(first, prop) in active
        first.tap()
        assert after(first, prop) == at_rest, "a second tap must turn the tile back"
        first.tap()
        page.locator("h1").tap()   # elsewhere
        assert after(first, prop) == at_rest, "a tap elsewhere must turn the tile back"
    else:
        first.hover()
        assert after(first, prop) in active
        page.mouse.move(0, 0)
        assert after(first, prop) == at_rest
    second = tiles.nth(1)
    second.focus()
    assert after(second, prop) == at_rest, "focus alone turns nothing"
    page.keyboard.press("Enter")
    assert after(second, prop) in active and second.get_attribute("aria-pressed") == "true"
    page.keyboard.press(" ")
    assert after(second, prop) == at_rest and second.get_attribute("aria-pressed") == "false"


@pytest.mark.parametrize("width", [390, 1280])
def test_illusions_turn_and_shrink_on_hover_focus_and_tap(browser, server, width):
    """An anagram's upright candidate takes its view's transform, a hybrid's close-up its 'from afar'
    shrink; each overlay tile covers exactly its tile of the grid image."""
    ctx, page, errors = open_report(browser, server, viewport={"width": width, "height": 900}, reduced_motion="reduce",
                                    has_touch=width < 500, is_mobile=width < 500)
    grids = page.locator("[data-row-hover]:not([data-row-hover='[]'])")
    assert grids.count() == 2
    cases = ((("matrix(-1, 0, 0, -1, 0, 0)", "matrix(1, 0, 0, -1, 0, 0)"), 3),   # anagrams: half turn or flip
             (("matrix(0.25, 0, 0, 0.25, 0, 0)",), 3))                                # hybrids: shrink to 1/4
    for i, (want, rows) in enumerate(cases):
        grid = grids.nth(i)
        grid.scroll_into_view_if_needed()
        page.wait_for_function("b => b.querySelector('.hover-tile')", arg=grid.element_handle())
        tiles = grid.locator(".hover-tile")
        assert tiles.count() == rows * int(grid.get_attribute("data-cols"))
        box, img = tiles.first.bounding_box(), grid.locator("img").bounding_box()
        assert abs(box["x"] - img["x"]) < 1.5 and abs(box["y"] - img["y"]) < 1.5   # over the first tile
        check_overlay_responds(page, tiles, "transform", "none", want, touch=width < 500)
    assert errors == []
    ctx.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_sdedit_edits_fade_to_their_original_on_hover_focus_and_tap(browser, server, width):
    """Each SDEdit grid (sections 7, 8 and 10) lays an overlay on every edit that holds its row's
    original (the last column), invisible at rest and shown on hover, tap or keyboard focus."""
    ctx, page, errors = open_report(browser, server, viewport={"width": width, "height": 900}, reduced_motion="reduce",
                                    has_touch=width < 500, is_mobile=width < 500)
    grids = page.locator("[data-fade-col]:not([data-fade-col=''])")
    assert grids.count() == 3
    for i in range(3):
        grid = grids.nth(i)
        grid.scroll_into_view_if_needed()
        page.wait_for_function("b => b.querySelector('.hover-tile')", arg=grid.element_handle())
        rows, cols = int(grid.get_attribute("data-rows")), int(grid.get_attribute("data-cols"))
        assert int(grid.get_attribute("data-fade-col")) == cols - 1
        tiles = grid.locator(".hover-tile.fades")
        assert tiles.count() == rows * (cols - 1)
        # the overlay shows the original: the last column of the grid image (background at 100 % across)
        assert after(tiles.first, "backgroundPositionX") == "100%"
        check_overlay_responds(page, tiles, "opacity", "0", ("1",), touch=width < 500)
    assert errors == []
    ctx.close()


def test_sampling_trajectory_shows_both_step_counts_in_lockstep(browser, server):
    ctx, page, _ = open_report(browser, server)
    fig = page.locator("figure.fig-trajectory", has_text="20 and 100 steps")
    labels = fig.locator(".col-labels span").all_inner_texts()
    assert len(labels) == 6 and all(t.endswith(("20 steps", "100 steps")) for t in labels), labels
    ctx.close()


CONTROLS = """[...document.querySelectorAll('button, input, select, textarea, [role=button], [role=region], '
    + 'canvas[tabindex], [tabindex]:not([tabindex="-1"])')]
    .filter(e => !e.closest('dialog:not([open])') && !e.closest('[hidden]'))
    .map(e => (e.getAttribute('aria-label') || e.textContent || e.getAttribute('alt') || '').trim())"""


def test_every_control_has_a_unique_accessible_name(browser, server):
    """A screen reader lists the page's controls by name: every slider, button, turning tile and
    scrolling table names its figure, so no two share a name."""
    ctx, page, errors = open_report(browser, server, viewport={"width": 1280, "height": 900})
    load_all_images(page)
    page.wait_for_function("document.querySelectorAll('.hover-tile').length > 0")
    names = page.evaluate(CONTROLS)
    assert len(names) > 100 and all(names), [n for n in names if not n]
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert repeated == [], repeated[:10]
    assert errors == []
    ctx.close()


def test_trajectories_can_be_taken_away_as_gifs_and_opened_large(browser, server):
    """Every trajectory links its GIF (with its size) and opens it large in the lightbox; the GIF is
    fetched only then, and holds as many frames as the viewer."""
    ctx, page, errors = open_report(browser, server, viewport={"width": 1280, "height": 900})
    figs = page.locator("figure.fig-trajectory")
    n = figs.count()
    assert n > 10
    links = page.locator("figure.fig-trajectory .takeaway a[download]")
    assert links.count() == n
    assert all(re.search(r"\((\d+ KB|[\d.]+ MB), \d+ frames\)", t)
               for t in page.locator("figure.fig-trajectory .takeaway").all_inner_texts())
    fig = figs.nth(1)
    fig.scroll_into_view_if_needed()
    canvas = fig.locator("canvas")
    gif = fig.locator("[data-trajectory]").get_attribute("data-gif")
    with page.expect_response(lambda r: r.url.endswith(gif.split("/")[-1])) as response:
        canvas.focus()
        page.keyboard.press("Enter")
    body = response.value.body()
    assert response.value.status == 200 and body[:6] == b"GIF89a"
    assert page.evaluate("document.querySelector('dialog.lightbox').open")
    assert page.evaluate("document.querySelector('dialog.lightbox img').src").endswith(gif.split("/")[-1])
    from PIL import Image
    import io
    with Image.open(io.BytesIO(body)) as im:
        assert im.n_frames == int(fig.locator("[data-trajectory]").get_attribute("data-frames"))
    assert errors == []
    ctx.close()


def test_without_scripts_reduced_motion_gets_a_still_frame(browser, server):
    shown = {}
    for motion in ("reduce", "no-preference"):
        ctx, page, _ = open_report(browser, server, java_script_enabled=False, reduced_motion=motion)
        img = page.locator("[data-trajectory] img").first
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
        shown[motion] = img.evaluate("i => i.currentSrc")
        ctx.close()
    assert shown["reduce"] != shown["no-preference"]
    assert shown["no-preference"].endswith(".gif") and shown["reduce"].endswith(".webp")   # the animation is the GIF


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_wide_tables_show_a_visible_scroll_cue_and_others_none(browser, server, scheme):
    """At 390 px a table wider than its column carries edge shadows that contrast with the page (dark
    on light, light on dark); a table that fits carries none (no stray line at its edge)."""
    ctx, page, _ = open_report(browser, server, viewport={"width": 390, "height": 900}, color_scheme=scheme)
    state = page.evaluate("""[...document.querySelectorAll('main .table-wrap')].map(w =>
        [w.scrollWidth > w.clientWidth + 1, getComputedStyle(w).backgroundImage])""")
    wide = [bg for over, bg in state if over]
    fits = [bg for over, bg in state if not over]
    assert len(wide) >= 5 and fits
    cue = "rgba(255, 255, 255" if scheme == "dark" else "rgba(0, 0, 0"
    assert all(cue in bg for bg in wide), wide[0]
    assert all(bg == "none" for bg in fits), fits[0]
    ctx.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_build_summary_fits_without_sideways_scrolling_and_says_each_thing_once(browser, server, width):
    """Nothing of the summary is cut or needs sideways scrolling, at a phone's width or a desktop's, and
    a row says once whether it was computed or read from the cache."""
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.goto(server + "build-summary/index.html", wait_until="networkidle")
    sizes = page.evaluate("""() => { const w = document.querySelector('.table-wrap');
        return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth, innerWidth]; }""")
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    rows = page.evaluate("[...document.querySelectorAll('tbody tr')].map(r => r.innerText)")
    assert rows and all(r.count("cached") + r.count("cache") <= 1 for r in rows), rows[:2]
    ctx.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_every_trajectory_slider_is_wide_enough_and_laid_out_alike(browser, server, width):
    """A slider a thumb can move step by step (at least 140 px, 108 px before), and one layout on every
    trajectory: the readout on the line below the slider, never beside it on some and below on others."""
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900})
    found = page.evaluate("""() => [...document.querySelectorAll('.traj-controls')].map(c => {
        const s = c.querySelector('input[type=range]').getBoundingClientRect();
        const o = c.querySelector('output').getBoundingClientRect();
        return [c.closest('figure').id, Math.round(s.width), o.top >= s.bottom - 1];
    })""")
    assert len(found) >= 15
    assert [f for f in found if f[1] < 140 or not f[2]] == [], found
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    ctx.close()


@pytest.mark.parametrize("width", [390, 768])
def test_no_figure_text_is_smaller_than_9px(browser, server, width):
    """Every piece of text in a figure (labels, their maths subscripts, captions, tables, controls) is
    displayed at 9 px or more; text drawn inside plot images is checked where the plots are made."""
    ctx, page, _ = open_report(browser, server, viewport={"width": width, "height": 900})
    small = page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('figure *')) {
            if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
            if (el.getBoundingClientRect().width === 0) continue;   // hidden on this screen
            const size = parseFloat(getComputedStyle(el).fontSize);
            if (size < 9) out.push([el.closest('figure').id, el.tagName, el.textContent.trim(), size]);
        }
        return out;
    }""")
    assert small == [], small[:10]
    ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_inside_plots_is_at_least_11px_on_a_phone(browser, server, scheme):
    """A plot's smallest text, as displayed at 390 px: its size in the file the browser chose (the
    build records each file's smallest text, media.min_font_px) times displayed over natural width.
    Two panels side by side once showed their legends at 3-4 px; the phone variant stacks them."""
    ctx, page, _ = open_report(browser, server, viewport={"width": 390, "height": 900}, color_scheme=scheme)
    load_all_images(page)
    shown = page.evaluate("""() => [...document.querySelectorAll('figure.fig-plot picture')].map(p => {
        const img = p.querySelector('img'), fonts = JSON.parse(p.dataset.fontPx || '{}');
        const file = new URL(img.currentSrc).pathname.split('/').pop();
        const own = Object.entries(fonts).find(([url]) => url && url.endsWith(file));
        return [p.closest('figure').id, file, own && own[1] ? own[1] * img.clientWidth / img.naturalWidth : 0];
    })""")
    assert len(shown) == page.locator("figure.fig-plot").count() >= 7
    assert [s for s in shown if s[2] < 11] == []
    ctx.close()


def test_the_lightbox_zooms_past_the_screen_and_pans_on_a_phone(browser, server):
    """On a 390 px phone a plot opens fitted to the screen; "zoom in" shows it at least at its own pixel
    size, in a view that pans; "fit to screen" fits it again. The open, zoomed lightbox passes axe."""
    ctx, page, _ = open_report(browser, server, viewport={"width": 390, "height": 800}, has_touch=True,
                               is_mobile=True)
    plot = page.locator("figure.fig-plot img[data-zoom]").first
    plot.scroll_into_view_if_needed()
    plot.tap()
    page.wait_for_function("document.querySelector('dialog.lightbox img').complete")
    view = """() => { const v = document.querySelector('.lightbox-view'), b = v.querySelector('img');
        return [v.scrollWidth, v.clientWidth, b.getBoundingClientRect().width, b.naturalWidth, v.scrollLeft]; }"""
    fitted = page.evaluate(view)
    assert fitted[0] <= fitted[1] + 1 and fitted[2] <= 390, fitted
    zoom = page.get_by_role("button", name="zoom in")
    zoom.tap()
    zoomed = page.evaluate(view)
    assert zoomed[2] >= max(zoomed[3], 2 * fitted[2]) - 1 and zoomed[0] > zoomed[1], zoomed
    page.evaluate("document.querySelector('.lightbox-view').scrollLeft = 200")
    assert page.evaluate(view)[4] > 0   # it pans
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document.querySelector('dialog.lightbox')))"
                               ".violations.map(v => v.id)")
    assert violations == []
    page.get_by_role("button", name="fit to screen").tap()
    assert page.evaluate(view)[0] <= page.evaluate(view)[1] + 1
    ctx.close()
