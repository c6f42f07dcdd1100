// Trajectory viewer, before/after comparison and lightbox. The page reads fully without this
// script: trajectories are then animated WebP images and comparisons two images.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "Figure 12": every control names its figure, so that a screen reader's list of controls is unique
  function figureName(el) {
    const fig = el.closest("figure[id^='fig-']");
    return fig ? "Figure " + fig.id.slice(4) : "Figure";
  }

  function trajectory(box) {
    const name = figureName(box);
    const n = +box.dataset.frames, fw = +box.dataset.frameWidth, fh = +box.dataset.frameHeight;
    const perRow = +box.dataset.spriteCols || n;   // frames per row of the sprite sheet
    const labels = JSON.parse(box.dataset.labels), fps = +box.dataset.fps || 8;
    const sprite = new Image();
    const canvas = document.createElement("canvas");
    canvas.width = fw; canvas.height = fh;
    canvas.className = "pixelated";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", box.dataset.alt);
    const ctx = canvas.getContext("2d");
    const controls = document.createElement("div");
    controls.className = "traj-controls";
    const play = document.createElement("button");
    play.type = "button"; play.textContent = "▶ play";
    play.setAttribute("aria-label", "Play " + name.toLowerCase());
    const range = document.createElement("input");
    range.type = "range"; range.min = 0; range.max = n - 1; range.step = 1; range.value = 0;
    range.setAttribute("aria-label", name + ": " + (box.dataset.axis || "frame") + " (arrow keys move one step)");
    const out = document.createElement("output");
    controls.append(play, range, out);
    let timer = null;

    function draw(i) {
      range.value = i;
      out.textContent = labels[i] + "  (" + (i + 1) + "/" + n + ")";
      range.setAttribute("aria-valuetext", labels[i]);
      canvas.dataset.frame = i;
      if (!sprite.src || !sprite.complete || !sprite.naturalWidth) return;   // not fetched or not loaded yet
      ctx.imageSmoothingEnabled = false;
      ctx.clearRect(0, 0, fw, fh);
      ctx.drawImage(sprite, (i % perRow) * fw, Math.floor(i / perRow) * fh, fw, fh, 0, 0, fw, fh);
    }
    function stop() { clearInterval(timer); timer = null; play.textContent = "▶ play"; play.setAttribute("aria-label", "Play " + name.toLowerCase()); }
    play.addEventListener("click", function () {
      if (timer) return stop();
      if (+range.value >= n - 1) draw(0);
      play.textContent = "❚❚ pause";
      play.setAttribute("aria-label", "Pause " + name.toLowerCase());
      timer = setInterval(function () {
        const i = +range.value + 1;
        if (i >= n) return stop();
        draw(i);
      }, 1000 / fps);
    });
    range.addEventListener("input", function () { stop(); draw(+range.value); });
    sprite.addEventListener("load", function () { draw(+range.value); });
    // one download per trajectory, when it comes within a screen or so of the viewport
    const load = function () { if (!sprite.src) sprite.src = box.dataset.sprite; };
    if ("IntersectionObserver" in window) {
      const seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) { load(); seen.disconnect(); }
      }, { rootMargin: "800px 0px" });
      seen.observe(box);
    } else {
      load();
    }
    play.addEventListener("click", load);
    // opened large like an image: the lightbox shows the downloadable GIF, fetched only now
    if (box.dataset.gif) {
      canvas.tabIndex = 0;
      canvas.setAttribute("role", "button");
      canvas.setAttribute("aria-label", "Enlarge " + name.toLowerCase() + ": " + box.dataset.alt);
      canvas.dataset.zoomSrc = box.dataset.gif;
    }
    box.append(canvas);
    // the controls go below the labelled grid, so that the row labels span the picture alone
    (box.closest(".labelled") || box).append(controls);
    draw(0);
  }

  function compare(box) {
    const range = box.querySelector(".compare-range");
    const set = function () { box.style.setProperty("--reveal", range.value + "%"); };
    range.addEventListener("input", set);
    set();
  }

  // Lightbox: any image marked data-zoom opens enlarged, from the mouse or the keyboard (Enter or
  // Space on the focused image), with its figure's caption and a close button above the picture.
  // Small images stay pixel-sharp (pixelated); plots are scaled smoothly.
  function lightbox() {
    const dialog = document.createElement("dialog");
    if (!dialog.showModal) return;
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Enlarged image");
    const bar = document.createElement("div");
    bar.className = "lightbox-bar";
    const caption = document.createElement("p");
    const close = document.createElement("button");
    close.type = "button"; close.className = "close"; close.textContent = "× close";
    close.setAttribute("aria-label", "Close the enlarged image");
    close.addEventListener("click", function () { dialog.close(); });
    // Zoom: "fit" shows the whole image within the screen; "zoom" shows it at least at its own pixel
    // size and at least twice the fitted size, inside a view that pans (drag, scroll, arrow keys), so a
    // plot's small print is readable on a phone.
    const zoom = document.createElement("button");
    zoom.type = "button"; zoom.className = "zoom";
    bar.append(caption, zoom, close);
    const view = document.createElement("div");
    view.className = "lightbox-view"; view.tabIndex = 0; view.setAttribute("role", "region");
    view.setAttribute("aria-label", "Enlarged image (arrow keys pan when zoomed)");
    const big = document.createElement("img");
    view.append(big);
    dialog.append(bar, view);
    document.body.append(dialog);
    function setZoom(on) {
      big.style.width = "";
      if (on) {
        const fitted = big.getBoundingClientRect().width;
        big.style.width = Math.max(big.naturalWidth, 2 * fitted) + "px";
      }
      big.classList.toggle("zoomed", on);
      zoom.textContent = on ? "− fit to screen" : "+ zoom in";
      zoom.setAttribute("aria-pressed", on ? "true" : "false");
    }
    zoom.addEventListener("click", function () { setZoom(!big.classList.contains("zoomed")); });
    big.addEventListener("click", function () { setZoom(!big.classList.contains("zoomed")); });
    function open(img) {
      setZoom(false);
      big.src = img.dataset.zoomSrc || img.currentSrc || img.src;
      big.alt = img.alt || img.getAttribute("aria-label");
      big.classList.toggle("pixelated", img.classList.contains("pixelated"));
      const fig = img.closest("figure");
      const cap = fig && fig.querySelector("figcaption");
      caption.textContent = cap ? cap.textContent.trim() : img.alt;
      dialog.showModal();
      close.focus();
    }
    // figures whose tiles turn on a tap are not enlarged by a tap (one tap, one meaning): they get a
    // button instead, as trajectories have their canvas
    document.querySelectorAll("[data-tiles] img[data-zoom]").forEach(function (img) {
      img.removeAttribute("data-zoom");
      const button = document.createElement("button");
      button.type = "button"; button.className = "enlarge"; button.textContent = "⤢ enlarge";
      button.setAttribute("aria-label", "Enlarge " + figureName(img).toLowerCase());
      button.addEventListener("click", function () { open(img); });
      const fig = img.closest("figure");
      fig.insertBefore(button, fig.querySelector("figcaption"));
    });
    document.querySelectorAll("img[data-zoom]").forEach(function (img) {
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      img.setAttribute("aria-label", "Enlarge " + figureName(img).toLowerCase() + ": " + img.alt);
    });
    const zoomable = "img[data-zoom], canvas[data-zoom-src]";
    document.addEventListener("click", function (e) {
      const img = e.target.closest(zoomable);
      if (img) open(img);
    });
    document.addEventListener("keydown", function (e) {
      const img = e.target.closest && e.target.closest(zoomable);
      if (img && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); open(img); }
    });
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
  }

  // Illusions seen as illusions, edits beside their source. Two kinds of grid carry tile overlays:
  // * rows with a hover transform (meta.row_hover: an anagram's view, a hybrid's "from afar" shrink):
  //   each tile's overlay shows the same pixels and takes the transform on a tap, a click, Enter or
  //   Space (and while a mouse hovers);
  // * a fade column (meta.fade_col: SDEdit's original): every other tile's overlay shows its row's
  //   tile of that column, faded in the same way.
  // An overlay is a crop of the grid image (its background). Without scripts the grid itself shows
  // both readings (anagrams and hybrids in paired rows, SDEdit's original in the last column).
  function hoverTiles(box) {
    const img = box.querySelector("img");
    const spec = JSON.parse(box.dataset.rowHover), tile = JSON.parse(box.dataset.tile);
    const rowLabels = JSON.parse(box.dataset.rowLabels), colLabels = JSON.parse(box.dataset.colLabels);
    const rows = +box.dataset.rows, cols = +box.dataset.cols, gap = +box.dataset.gap;
    const fade = box.dataset.fadeCol === "" ? -1 : +box.dataset.fadeCol;
    const name = figureName(box);
    const W = +img.getAttribute("width"), H = +img.getAttribute("height"), th = tile[0], tw = tile[1];
    const layer = document.createElement("div");
    layer.className = "tile-layer";
    const at = function (r, c) { return [c * (tw + gap), r * (th + gap)]; };
    const pos = function (xy) {
      return (W > tw ? 100 * xy[0] / (W - tw) : 0) + "% " + (H > th ? 100 * xy[1] / (H - th) : 0) + "%";
    };
    function overlay(r, c, transform) {
      const xy = at(r, c);
      const t = document.createElement("span");
      const fades = !transform;
      t.className = "hover-tile" + (img.classList.contains("pixelated") ? " pixelated" : "")
        + (fades ? " fades" : /scale\(/.test(transform) ? " shrinks" : "");
      t.tabIndex = 0;
      t.setAttribute("role", "button");
      t.setAttribute("aria-pressed", "false");
      t.setAttribute("aria-label", name + ", " + (fades
        ? (rowLabels[r] || "") + ", " + (colLabels[c] || "") + ": show the " + (colLabels[fade] || "source")
        : (rowLabels[r] || "") + ", candidate " + (c + 1) + ": show the other reading"));
      t.style.left = (100 * xy[0] / W) + "%";
      t.style.top = (100 * xy[1] / H) + "%";
      t.style.width = (100 * tw / W) + "%";
      t.style.height = (100 * th / H) + "%";
      // the picture is the tile's ::after (it moves or fades); the tile itself stays put and, while a
      // transform is active, covers the grid's own copy, so a shrinking hybrid does not show it
      t.style.setProperty("--img", "url(" + JSON.stringify(img.currentSrc || img.src) + ")");
      t.style.setProperty("--size", (100 * W / tw) + "% " + (100 * H / th) + "%");
      t.style.setProperty("--pos", pos(fades ? at(r, fade) : xy));
      if (transform) t.style.setProperty("--hover", transform);
      const toggle = function () { t.setAttribute("aria-pressed", t.classList.toggle("turned")); };
      t.addEventListener("click", function (e) { e.stopPropagation(); toggle(); });
      t.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); }
      });
      layer.append(t);
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (spec[r]) overlay(r, c, spec[r]);
        else if (fade >= 0 && c !== fade) overlay(r, c, "");
      }
    }
    box.append(layer);
  }
  // a tap or click anywhere but on a tile turns every turned tile back
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest(".hover-tile")) return;
    document.querySelectorAll(".hover-tile.turned").forEach(function (t) {
      t.classList.remove("turned"); t.setAttribute("aria-pressed", "false");
    });
  });
  function whenLoaded(img, f) {
    if (img.complete && img.naturalWidth) f(); else img.addEventListener("load", f, { once: true });
  }

  // An equation wider than a phone's screen scrolls sideways; only then it joins the tab order, so a
  // keyboard can scroll it too (the others stay out of the way).
  function scrollableMaths() {
    document.querySelectorAll('math[display="block"]').forEach(function (m) {
      if (m.scrollWidth > m.clientWidth + 1) m.tabIndex = 0; else m.removeAttribute("tabindex");
    });
  }
  // Only a table wider than its column shows the scroll cue (style.css, .table-wrap.scrolls).
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (w) {
      w.classList.toggle("scrolls", w.scrollWidth > w.clientWidth + 1);
    });
  }
  scrollableMaths();
  scrollableTables();
  window.addEventListener("resize", function () { scrollableMaths(); scrollableTables(); });

  // "Try it" (section 15): the demo's script, and through it the runtime and the model, are fetched
  // only when a reader presses the button
  const here = document.currentScript && document.currentScript.src;
  function demo(box) {
    const button = box.querySelector(".demo-open");
    if (!button) return;
    button.addEventListener("click", function () {
      button.disabled = true;
      const start = function () { window.fwdDemo.open(box).then(function (m) { if (m) button.closest("p").hidden = true; else button.disabled = false; },
        function () { button.disabled = false; }); };
      if (window.fwdDemo) return start();
      const s = document.createElement("script");
      s.src = new URL("demo.js", here || location.href).href;
      s.onload = start;
      s.onerror = function () { button.disabled = false; box.querySelector(".demo-status").textContent = "The demo's script could not be loaded."; };
      document.head.append(s);
    });
  }
  document.querySelectorAll("[data-demo]").forEach(demo);
  document.querySelectorAll("[data-tiles]").forEach(function (box) {
    whenLoaded(box.querySelector("img"), function () { hoverTiles(box); });
  });
  document.querySelectorAll("[data-trajectory]").forEach(trajectory);
  document.querySelectorAll("[data-compare]").forEach(compare);
  lightbox();
})();
