// "Try it": section 15's flow model, sampled in the reader's browser by ONNX Runtime Web (WebAssembly).
// viewer.js loads this file only when a reader presses "Try it"; this file then loads the runtime and
// the model. The samplers below mirror the build's Python line by line (each names the function it
// mirrors), so that with the same noise the browser's images equal the build's to 1e-4 per pixel:
// tests/browser/test_demo.py replays the build's own runs through window.fwdDemo.
(function () {
  "use strict";
  const S = 28, P = S * S, K = 10;   // image side, pixels per image, classes

  // ---- noise: the reader's seed drives a small seeded generator (not torch's: the browser cannot
  // reproduce torch's stream, so the test passes the build's noise in through listNoise)
  function seededNoise(seed) {
    let a = (seed >>> 0) || 1;
    function uniform() {   // mulberry32
      a = (a + 0x6D2B79F5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
    }
    return { next: function (n) {   // n standard normal values (Box-Muller)
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(uniform())), th = 2 * Math.PI * uniform();
        out[i] = r * Math.cos(th);
        if (i + 1 < n) out[i + 1] = r * Math.sin(th);
      }
      return out;
    } };
  }
  function listNoise(arrays) {   // the draws the build recorded, in its order
    let i = 0;
    return { next: function (n) {
      if (i >= arrays.length) throw new Error("the recorded noise ran out after " + i + " draws");
      const a = Float32Array.from(arrays[i++]);
      if (a.length !== n) throw new Error("draw " + i + " has " + a.length + " values, the sampler wants " + n);
      return a;
    }, used: function () { return i; } };
  }

  function oneHot(digits) {   // (B, 10); null (-1) -> zeros, the null class of CFG
    const c = new Float32Array(digits.length * K);
    digits.forEach(function (d, i) { if (d >= 0) c[i * K + d] = 1; });
    return c;
  }
  function twice(a) { const out = new Float32Array(2 * a.length); out.set(a); out.set(a, a.length); return out; }

  // ---- the network: v(x (B, 1, 28, 28), s (B, 1), c (B, 10)) -> (B, 1, 28, 28)
  function Net(session, cfg) {
    this.session = session; this.cfg = cfg; this.evaluations = 0;
  }
  Net.prototype.run = async function (x, s, c, b) {
    const T = window.ort.Tensor, names = this.cfg.inputs;
    const feeds = {};
    feeds[names[0]] = new T("float32", x, [b, 1, S, S]);
    feeds[names[1]] = new T("float32", s, [b, 1]);
    feeds[names[2]] = new T("float32", c, [b, K]);
    const out = await this.session.run(feeds);
    this.evaluations += 1;
    return out[this.cfg.output].data;
  };

  // ---- flow sampling: generator/diffusion/flow_sampling.py
  // guided_velocity: v_u + gamma (v_c - v_u), rows [0, B) null, rows [B, 2B) the condition, one call
  function guidedVelocity(net, cond, gamma) {
    return async function (x, s) {
      const b = x.length / P;
      const out = await net.run(twice(x), new Float32Array(2 * b).fill(s), twice(cond).fill(0, 0, b * K), 2 * b);
      const v = new Float32Array(b * P);
      for (let i = 0; i < b * P; i++) v[i] = out[i] + gamma * (out[b * P + i] - out[i]);
      return v;
    };
  }
  // sample_ode: n uniform steps from s = 1 to 0, Euler or Heun; record(s, x_s, x0_hat = x_s - s v)
  async function sampleOde(vFn, x, n, solver, record) {
    const grid = []; for (let i = 0; i <= n; i++) grid.push(1 - i / n);
    for (let i = 0; i < n; i++) {
      const s = grid[i], sNext = grid[i + 1], v = await vFn(x, s);
      const x0 = new Float32Array(x.length), xe = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) { x0[j] = x[j] - s * v[j]; xe[j] = x[j] + (sNext - s) * v[j]; }
      await record(s, x, x0);
      if (solver === "heun") {
        const v2 = await vFn(xe, sNext), xh = new Float32Array(x.length);
        for (let j = 0; j < x.length; j++) xh[j] = x[j] + (sNext - s) * (v[j] + v2[j]) / 2;
        x = xh;
      } else {
        x = xe;
      }
    }
    return x;
  }

  // ---- Part A's sampler on the flow model (sections 7 and 9)
  function abarAt(abar, t) { return t < 0 ? 1 : abar[t]; }   // schedule.abar_at
  // sampling.guided over models/improved_backend.ImprovedBackend.predict (flow): the DDPM state is
  // rescaled onto the flow's line (flow_sampling.ddpm_prediction), eps = x_s + (1 - s) v
  function guidedEps(net, cond, gamma, abar) {
    return async function (x, t) {
      const b = x.length / P, ab = Math.fround(abar[t]);
      const a = Math.fround(Math.sqrt(ab)), c = Math.fround(Math.sqrt(Math.fround(1 - ab)));
      const s = Math.fround(c / Math.fround(a + c));
      const xs = new Float32Array(2 * b * P);
      for (let j = 0; j < b * P; j++) xs[j] = xs[b * P + j] = x[j] / Math.fround(a + c);
      const v = await net.run(xs, new Float32Array(2 * b).fill(s), twice(cond).fill(0, 0, b * K), 2 * b);
      const eps = new Float32Array(2 * b * P);
      for (let j = 0; j < 2 * b * P; j++) eps[j] = xs[j] + Math.fround(1 - s) * v[j];
      const out = new Float32Array(b * P);
      for (let j = 0; j < b * P; j++) out[j] = eps[j] + gamma * (eps[b * P + j] - eps[j]);
      return out;
    };
  }
  // forward.forward: sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, one fresh draw (t = -1: x0 itself)
  function forward(x0, t, abar, noise) {
    const ab = abarAt(abar, t), eps = noise.next(x0.length), out = new Float32Array(x0.length);
    const a = Math.fround(Math.sqrt(ab)), c = Math.fround(Math.sqrt(1 - ab));
    for (let j = 0; j < x0.length; j++) out[j] = a * x0[j] + c * eps[j];
    return out;
  }
  // sampling.denoise: strided DDPM steps t -> t' (the last to the clean image), x0_hat clipped to
  // [-1, 1], the posterior mean (sampling.strided_mean) plus sqrt(beta) z while t > 0, then project
  async function denoise(epsFn, x, ts, abar, noise, project, record) {
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i], tPrev = i + 1 < ts.length ? ts[i + 1] : -1;
      const eps = await epsFn(x, t);
      const at = abarAt(abar, t), ap = abarAt(abar, tPrev);
      const sa = Math.fround(Math.sqrt(at)), sb = Math.fround(Math.sqrt(1 - at));
      const x0 = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) x0[j] = Math.min(1, Math.max(-1, (x[j] - sb * eps[j]) / sa));
      await record(t, x, x0);
      const al = at / ap, beta = 1 - al;
      const c0 = Math.fround(Math.sqrt(ap) * beta / (1 - at)), ct = Math.fround(Math.sqrt(al) * (1 - ap) / (1 - at));
      let next = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) next[j] = c0 * x0[j] + ct * x[j];
      if (t > 0) {
        const z = noise.next(x.length), sd = Math.fround(Math.sqrt(beta));
        for (let j = 0; j < x.length; j++) next[j] += sd * z[j];
      }
      x = project ? project(next, tPrev) : next;
    }
    return x;
  }
  // editing.sdedit: noise the drawing to ts[iStart], denoise from there
  function sdedit(epsFn, xOrig, ts, iStart, abar, noise, record) {
    return denoise(epsFn, forward(xOrig, ts[iStart], abar, noise), ts.slice(iStart), abar, noise, null, record);
  }
  // editing.inpaint with editing.repaint_projection: x_t <- m x_t + (1 - m) forward(x_orig, t)
  function inpaint(epsFn, xOrig, mask, ts, abar, noise, record) {
    const project = function (xt, t) {
      const known = forward(xOrig, t, abar, noise), out = new Float32Array(xt.length);
      for (let j = 0; j < xt.length; j++) out[j] = mask[j] * xt[j] + (1 - mask[j]) * known[j];
      return out;
    };
    return denoise(epsFn, project(noise.next(xOrig.length), ts[0]), ts, abar, noise, project, record);
  }

  // ---- the page's part
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }
  function say(box, text) { box.querySelector(".demo-status").textContent = text; }

  function whyNot() {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function")
      return "This browser cannot run WebAssembly, which the demo needs; every figure of the page works without it.";
    if (location.protocol === "file:")
      return "Browsers do not let a page opened from a file load the model. Serve the site's folder instead " +
        "(for example python3 -m http.server in it) and open the page from http://localhost:8000.";
    return "";
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const s = el("script", { src: src });
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.append(s);
    });
  }

  async function open(box) {
    const problem = whyNot();
    if (problem) { say(box, problem); return null; }
    const runtime = JSON.parse(box.dataset.runtime);
    say(box, "Loading the runtime and the model…");
    const t0 = performance.now();
    if (!window.ort) await loadScript(runtime.js);
    const ort = window.ort;
    ort.env.wasm.wasmPaths = { mjs: new URL(runtime.mjs, location.href).href, wasm: new URL(runtime.wasm, location.href).href };
    // threads need a cross-origin isolated page (GitHub Pages is not): one thread otherwise
    ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    const [cfg, model] = await Promise.all([
      fetch(box.dataset.config).then(function (r) { if (!r.ok) throw new Error(r.status + " " + box.dataset.config); return r.json(); }),
      fetch(box.dataset.model).then(function (r) { if (!r.ok) throw new Error(r.status + " " + box.dataset.model); return r.arrayBuffer(); }),
    ]);
    const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const net = new Net(session, cfg);
    const threads = ort.env.wasm.numThreads;
    say(box, "Loaded in " + ((performance.now() - t0) / 1000).toFixed(1) + " s; the model runs on this device (WebAssembly, " +
      threads + (threads === 1 ? " thread)." : " threads)."));
    return { net: net, cfg: cfg, threads: threads };
  }

  // What the test calls: the build's runs, replayed with the build's noise (reference artifact)
  function checks(m) {
    const cfg = m.cfg, none = async function () {};
    return {
      sample: function (r) {   // {digits, x1: flat (B*784), steps, solver, gamma}
        return sampleOde(guidedVelocity(m.net, oneHot(r.digits), r.gamma), Float32Array.from(r.x1), r.steps, r.solver, none)
          .then(Array.from);
      },
      sdedit: function (r) {   // {digit, gamma, i_start, image, noise: [[784] ...]}
        const noise = listNoise(r.noise);
        return sdedit(guidedEps(m.net, oneHot([r.digit]), r.gamma, cfg.abar), Float32Array.from(r.image), cfg.timesteps,
          r.i_start, cfg.abar, noise, none).then(function (x) { return { out: Array.from(x), draws: noise.used() }; });
      },
      inpaint: function (r) {   // {digit, gamma, image, mask, noise}
        const noise = listNoise(r.noise);
        return inpaint(guidedEps(m.net, oneHot([r.digit]), r.gamma, cfg.abar), Float32Array.from(r.image),
          Float32Array.from(r.mask), cfg.timesteps, cfg.abar, noise, none)
          .then(function (x) { return { out: Array.from(x), draws: noise.used() }; });
      },
    };
  }

  // ---- the controls
  function ui(box, m) {
    const cfg = m.cfg, d = cfg.defaults, fig = box.closest("figure"), id = fig ? fig.id : "demo";
    const name = fig ? "Figure " + fig.id.slice(4) : "Demo";
    function field(label, input, extra) {
      return el("label", { class: "demo-field" }, [el("span", { text: label }), input].concat(extra || []));
    }
    function select(options, value) {
      const s = el("select");
      options.forEach(function (o) { s.append(el("option", { value: o[0], text: o[1] })); });
      s.value = String(value);
      return s;
    }
    const digitOpts = [["all", "all ten"]].concat([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(function (k) { return [k, String(k)]; }));
    const mode = select([["sample", "sample from noise"], ["sdedit", "edit the drawing (SDEdit, section 7)"],
      ["inpaint", "inpaint the drawing's mask (section 9)"]], "sample");
    const digit = select(digitOpts, "all");
    const gamma = el("input", { type: "number", min: "0", max: "10", step: "0.5", value: String(d.gamma) });
    const steps = el("input", { type: "number", min: "1", max: "16", step: "1", value: String(d.steps) });
    const solver = select([["heun", "Heun (2 evaluations a step)"], ["euler", "Euler"]], d.solver);
    const seed = el("input", { type: "number", min: "0", max: "4294967295", step: "1", value: String(d.seed) });
    const level = el("input", { type: "range", min: "1", max: String(cfg.timesteps.length - 2), step: "1", value: String(d.i_start) });
    const levelOut = el("output");
    const go = el("button", { type: "button", class: "demo-go", text: "Sample" });

    // the drawing: ink in [0, 1] and a mask (1: regenerate), 28 x 28, shown 8x
    const ink = new Float32Array(P), mask = new Float32Array(P);
    const pad = el("canvas", { width: String(S), height: String(S), class: "demo-pad pixelated", tabindex: "0",
      role: "img", "aria-label": name + ": drawing pad (arrow keys move the pen, space puts it down or lifts it)" });
    const tool = select([["ink", "draw"], ["erase", "erase"], ["mask", "paint the mask"], ["unmask", "erase the mask"]], "ink");
    const clear = el("button", { type: "button", text: "clear" });
    const useSample = el("button", { type: "button", text: "start from a sample" });
    const maskTop = el("button", { type: "button", text: "mask the top half" });
    const padBox = el("div", { class: "demo-drawing" }, [pad, el("div", { class: "demo-tools" },
      [field("tool", tool), clear, useSample, maskTop])]);

    const view = el("canvas", { class: "demo-view pixelated", role: "img", "aria-label": name + ": the samples, each a column: x_t above, the estimate of x_0 below" });
    const legend = el("p", { class: "demo-legend" });
    legend.innerHTML = "Each column a sample: above, the state <i>x</i><sub><i>t</i></sub>; below, its estimate of the clean digit, <i>x&#770;</i><sub>0</sub>.";
    const scrub = el("input", { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": name + ": step of the sampler" });
    const scrubOut = el("output");
    const time = el("p", { class: "demo-time", role: "status" });

    const form = el("div", { class: "demo-ui" }, [
      el("div", { class: "demo-controls" }, [field("what", mode), field("digit", digit), field("guidance γ", gamma),
        field("steps", steps), field("sampler", solver), field("seed", seed),
        field("noise level", level, [levelOut]), go]),
      padBox,
      el("div", { class: "demo-out" }, [view, legend, el("div", { class: "traj-controls" }, [scrub, scrubOut]), time]),
    ]);
    box.append(form);

    function syncMode() {
      const edit = mode.value !== "sample";
      padBox.hidden = !edit;
      steps.closest("label").hidden = solver.closest("label").hidden = edit;
      level.closest("label").hidden = mode.value !== "sdedit";
      digit.options[0].text = edit ? "none (no class)" : "all ten";
      go.textContent = edit ? "Edit" : "Sample";
      const i = +level.value;
      levelOut.textContent = "start at t = " + cfg.timesteps[i] + " (step " + i + " of " + (cfg.timesteps.length - 1) + ")";
    }
    mode.addEventListener("change", syncMode);
    level.addEventListener("input", syncMode);

    // drawing with a mouse, a finger or a pen (pointer events), or the keyboard (a pen cursor)
    const pc = pad.getContext("2d");
    let cursor = null, penDown = false, lastSample = null;
    function drawPad() {
      const im = pc.createImageData(S, S);
      for (let j = 0; j < P; j++) {
        const g = Math.round(255 * ink[j]), mk = mask[j] > 0.5;
        im.data[4 * j] = mk ? Math.round(0.5 * g + 110) : g;
        im.data[4 * j + 1] = mk ? Math.round(0.5 * g) : g;
        im.data[4 * j + 2] = mk ? Math.round(0.5 * g + 20) : g;
        im.data[4 * j + 3] = 255;
      }
      pc.putImageData(im, 0, 0);
      if (cursor && document.activeElement === pad) {
        pc.strokeStyle = penDown ? "#ffcc00" : "#3399ff"; pc.lineWidth = 0.3;
        pc.strokeRect(cursor[0] - 1, cursor[1] - 1, 2, 2);
      }
    }
    function paint(x, y) {   // a soft round brush at (x, y) in pixels of the 28 x 28 image
      const r = tool.value === "ink" ? 1.4 : 2.2;
      for (let i = Math.max(0, Math.floor(y - r)); i <= Math.min(S - 1, Math.ceil(y + r)); i++) {
        for (let j = Math.max(0, Math.floor(x - r)); j <= Math.min(S - 1, Math.ceil(x + r)); j++) {
          const w = Math.min(1, Math.max(0, r - Math.hypot(i + 0.5 - y, j + 0.5 - x)));
          const k = i * S + j;
          if (tool.value === "ink") ink[k] = Math.max(ink[k], w);
          else if (tool.value === "erase") ink[k] = Math.min(ink[k], 1 - w);
          else if (w > 0.3) mask[k] = tool.value === "mask" ? 1 : 0;
        }
      }
      drawPad();
    }
    function at(e) { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) / r.width * S, (e.clientY - r.top) / r.height * S]; }
    let last = null;
    pad.addEventListener("pointerdown", function (e) { pad.setPointerCapture(e.pointerId); last = at(e); paint(last[0], last[1]); e.preventDefault(); });
    pad.addEventListener("pointermove", function (e) {
      if (!last) return;
      const p = at(e), n = Math.max(1, Math.ceil(Math.hypot(p[0] - last[0], p[1] - last[1]) * 2));
      for (let k = 1; k <= n; k++) paint(last[0] + (p[0] - last[0]) * k / n, last[1] + (p[1] - last[1]) * k / n);
      last = p;
    });
    ["pointerup", "pointercancel"].forEach(function (t) { pad.addEventListener(t, function () { last = null; }); });
    pad.addEventListener("focus", function () { cursor = cursor || [14, 14]; drawPad(); });
    pad.addEventListener("blur", function () { penDown = false; drawPad(); });
    pad.addEventListener("keydown", function (e) {
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (e.key === " " || e.key === "Enter") { penDown = !penDown; if (penDown) paint(cursor[0], cursor[1]); e.preventDefault(); drawPad(); return; }
      const mv = moves[e.key];
      if (!mv) return;
      e.preventDefault();
      cursor = [Math.min(S - 1, Math.max(1, cursor[0] + mv[0])), Math.min(S - 1, Math.max(1, cursor[1] + mv[1]))];
      if (penDown) paint(cursor[0], cursor[1]); else drawPad();
    });
    clear.addEventListener("click", function () { ink.fill(0); mask.fill(0); drawPad(); });
    maskTop.addEventListener("click", function () { mask.fill(0); mask.fill(1, 0, P / 2); drawPad(); });
    useSample.addEventListener("click", function () {
      if (!lastSample) { say(box, "Sample first: the drawing starts from the first sample."); return; }
      for (let j = 0; j < P; j++) ink[j] = Math.min(1, Math.max(0, (lastSample[j] + 1) / 2));
      drawPad();
    });

    // the output: x_t above, x0_hat below, one column a sample; the scrubber walks the steps
    const vc = view.getContext("2d");
    let frames = [], labels = [];
    function show(i) {
      const f = frames[i];
      if (!f) return;
      const b = f.x.length / P, w = b * (S + 1) - 1;
      view.width = w; view.height = 2 * S + 1;
      view.style.setProperty("--cols", b);
      view.style.setProperty("--scale", b >= 5 ? 2.5 : 4);   // one or two samples: larger
      const im = vc.createImageData(w, 2 * S + 1);
      [f.x, f.x0].forEach(function (x, row) {
        for (let k = 0; k < b; k++) {
          for (let j = 0; j < P; j++) {
            const v = Math.round(255 * Math.min(1, Math.max(0, (x[k * P + j] + 1) / 2)));
            const o = 4 * ((row * (S + 1) + Math.floor(j / S)) * w + k * (S + 1) + (j % S));
            im.data[o] = im.data[o + 1] = im.data[o + 2] = v; im.data[o + 3] = 255;
          }
        }
      });
      vc.putImageData(im, 0, 0);
      scrub.value = i;
      scrubOut.textContent = labels[i] + "  (" + (i + 1) + "/" + frames.length + ")";
      scrub.setAttribute("aria-valuetext", labels[i]);
    }
    scrub.addEventListener("input", function () { show(+scrub.value); });

    function numberIn(input, lo, hi, what) {
      const v = Number(input.value);
      if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(what + " must be a number from " + lo + " to " + hi + ".");
      return v;
    }
    go.addEventListener("click", async function () {
      let run;
      try {
        const g = numberIn(gamma, 0, 10, "Guidance"), sd = numberIn(seed, 0, 4294967295, "The seed");
        const noise = seededNoise(sd), all = digit.value === "all";
        frames = []; labels = [];
        const record = async function (t, x, x0) {
          frames.push({ x: x, x0: x0 }); labels.push(mode.value === "sample" ? "s = " + (+t.toFixed(3)) : "t = " + t);
          scrub.max = frames.length - 1; show(frames.length - 1);
          await new Promise(requestAnimationFrame);   // let the page draw each step as it comes
        };
        const n0 = m.net.evaluations, t0 = performance.now();
        if (mode.value === "sample") {
          const n = Math.round(numberIn(steps, 1, 16, "Steps"));
          const digits = all ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [+digit.value];
          run = sampleOde(guidedVelocity(m.net, oneHot(digits), g), noise.next(digits.length * P), n, solver.value, record)
            .then(function (x) { lastSample = x; return [x, digits.length + (digits.length > 1 ? " samples" : " sample")]; });
        } else {
          const x = new Float32Array(P);
          for (let j = 0; j < P; j++) x[j] = 2 * ink[j] - 1;
          const c = oneHot([all ? -1 : +digit.value]);
          const eps = guidedEps(m.net, c, all ? 1 : g, cfg.abar);
          if (mode.value === "inpaint" && !mask.some(function (v) { return v > 0; }))
            throw new Error("Paint the mask first (the tool 'paint the mask', or 'mask the top half'): it marks what to regenerate.");
          run = (mode.value === "sdedit" ? sdedit(eps, x, cfg.timesteps, +level.value, cfg.abar, noise, record)
            : inpaint(eps, x, mask, cfg.timesteps, cfg.abar, noise, record)).then(function (y) { return [y, "the edit"]; });
        }
        go.disabled = true;
        const done = await run;
        frames.push({ x: done[0], x0: done[0] }); labels.push("final image"); scrub.max = frames.length - 1; show(frames.length - 1);
        const secs = (performance.now() - t0) / 1000, evals = m.net.evaluations - n0;
        time.textContent = done[1].charAt(0).toUpperCase() + done[1].slice(1) + " in " + secs.toFixed(2) + " s: " + evals +
          " network evaluations (each on a doubled batch, for guidance), seed " + seed.value + ", WebAssembly on " +
          m.threads + (m.threads === 1 ? " thread." : " threads.");
      } catch (err) {
        time.textContent = err.message;
      } finally {
        go.disabled = false;
      }
    });
    syncMode();
    drawPad();
  }

  window.fwdDemo = {
    open: async function (box) {
      try {
        const m = await open(box);
        if (!m) return null;
        ui(box, m);
        window.fwdDemo.check = checks(m);
        window.fwdDemo.ready = true;
        return m;
      } catch (err) {
        say(box, "The demo could not start: " + err.message);
        throw err;
      }
    },
  };
})();
