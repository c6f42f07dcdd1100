"""`python build.py`: gather the report, run what is missing or stale, render the site."""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildError
from ..paths import ROOT
from . import build_stamp, content, estimate, keys, registry, resources, site_guard, threads

# run (torch) and render (jinja2, markdown) are imported only when the build is not a no-op,
# so that an unchanged build answers without loading torch (generator/build_stamp.py)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python build.py",
        description="Build 'Fun with Diffusion Models': run the experiments that are missing or stale, cache "
                    "their results in cache/, and render the static site into site/.")
    ap.add_argument("--frozen", action="store_true",
                    help="never execute anything: render from the cache, or fail naming each missing or stale result")
    ap.add_argument("--explain", action="store_true", help="print whether each experiment is fresh or stale, and why")
    ap.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only these experiments (and upstream)")
    ap.add_argument("--force", nargs="+", default=[], metavar="NAME", help="rerun these even if cached")
    ap.add_argument("--gc", action="store_true", help="delete cache entries that nothing references")
    ap.add_argument("--yes", action="store_true",
                    help="start a recompute estimated above 10 minutes without asking (only a terminal asks)")
    ap.add_argument("--device", default=None,
                    help="torch device: cpu, cuda, cuda:1 ... (default: cpu; a result the cache holds from "
                         "another device is then used as it is, and the summary says so)")
    ap.add_argument("--precision", default=None, choices=["fp32", "bf16"],
                    help="fp32, or bf16 autocast: faster on CPUs with bf16 matrix units (Intel AMX) and on GPUs; "
                         "part of every result's key (default: fp32)")
    ap.add_argument("--threads", type=int, default=None, metavar="N",
                    help="CPU threads for torch (default: the cores that are idle at start-up)")
    ap.add_argument("--seed", type=int, default=180, help="the one random seed of every experiment (default: 180)")
    ap.add_argument("--content", type=Path, default=ROOT / "content", metavar="DIR",
                    help="the report's Markdown pages (default: content/)")
    ap.add_argument("--templates", type=Path, default=ROOT / "templates", metavar="DIR",
                    help="the Jinja2 templates and static assets (default: templates/)")
    ap.add_argument("--cache", default=str(ROOT / "cache"), metavar="PATH|URL",
                    help="the result cache: a folder (shared by every node on a cluster) or an fsspec URL such as "
                         "s3://bucket/prefix (default: cache/)")
    ap.add_argument("--executor", default="local", choices=["local", "ray"],
                    help="run experiments one by one in this process, or as Ray tasks (docs/cluster.md)")
    ap.add_argument("--ray-address", default=None, metavar="ADDR",
                    help="with --executor ray: the cluster's head (default: start a local Ray instance)")
    ap.add_argument("--site", type=Path, default=ROOT / "site", metavar="DIR",
                    help="where the site is written (default: site/); replaced whole, so it must be new, empty, "
                         "or a site an earlier build wrote")
    ap.add_argument("--import-results", default=None, metavar="FILE|DIR|URL",
                    help="add results computed elsewhere (a GPU machine, the Colab notebook) to the cache: a zip, "
                         "a folder or an http(s) URL; every entry is verified against this checkout, existing "
                         "entries are never touched; then stop")
    ap.add_argument("--serve", action="store_true",
                    help="build, then serve site/ on http://localhost:8000 and rebuild on every change")
    ap.add_argument("--port", type=int, default=8000, help="port for --serve")
    for r in resources.registered().values():       # each resource's own options (engine/resources.py)
        r.add_options(ap)
    return ap.parse_args(argv)


def summary_rows(nodes) -> list[dict]:
    return [{"experiment": n.name, "section": n.exp.section or "",
             "result": "computed" if n.ran else ("cached" if n.entry else n.status),
             "reason": n.reason, "seconds": "" if n.seconds is None else f"{n.seconds:.1f}",
             "device": n.device, "host": n.host, "key": n.key[:12],
             "date": n.entry.manifest["provenance"]["date"] if n.entry else ""} for n in nodes]


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: min(60, max(len(c), *(len(str(r[c])) for r in rows))) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r[c])[:60].ljust(widths[c]) for c in columns))


def check_device(device: str) -> None:
    """The one check of --device: 'cpu', or 'cuda[:N]' with that GPU present."""
    kind, _, index = device.partition(":")
    if kind == "cpu" and not index:
        return
    if kind != "cuda" or (index and not index.isdigit()):
        raise BuildError(f"unknown device '{device}'. Fix: use cpu, cuda or cuda:N", "--device")
    import torch

    if not torch.cuda.is_available():
        raise BuildError(f"{device} requested but torch sees no CUDA GPU. Fix: run on a machine with an NVIDIA "
                         "GPU and a CUDA build of torch, or use --device cpu", "--device")
    if index and int(index) >= torch.cuda.device_count():
        raise BuildError(f"{device}: only {torch.cuda.device_count()} GPU(s). Fix: use cuda:0 .. "
                         f"cuda:{torch.cuda.device_count() - 1}", "--device")


def _node_estimate(node, threads: int) -> str:
    s = estimate.of_node(node, threads)
    return "?" if s is None else estimate.duration(s)


def _check_runnable(todo, resources: dict) -> None:
    """A resource that can compute nothing (a model rendered from its recorded results only): one
    line naming what would have to run, before anything runs."""
    for r in resources.values():
        refused = r.cannot_run()
        need = [n.name for n in todo if n.exp.uses(r.name) or n.name in r.upstream()] if refused else []
        if refused and need:
            raise BuildError(f"{len(need)} result(s) must be computed ({', '.join(need)}) but {refused[0]}",
                             refused[1])


MAX_SEED = 2**32 - 1   # numpy's and every generator's range; torch takes more, the course's seeds are small


def check_options(args: argparse.Namespace) -> None:
    """Every command-line value that can be checked without work, checked before any: one line each."""
    if args.threads is not None and not 1 <= args.threads <= (os.cpu_count() or 1):
        raise BuildError(f"--threads {args.threads}: this machine has {os.cpu_count()} CPU threads. Fix: pass 1 to "
                         f"{os.cpu_count()}, or leave it out to use the idle cores", "--threads")
    if not 0 <= args.seed <= MAX_SEED:
        raise BuildError(f"--seed {args.seed}: a seed is a whole number from 0 to {MAX_SEED:,}. Fix: pass one in "
                         "that range", "--seed")
    if not 1 <= args.port <= 65535:
        raise BuildError(f"--port {args.port}: a TCP port is 1 to 65535. Fix: pass one in that range, such as 8000",
                         "--port")
    for r in resources.registered().values():
        r.check_options(args)
    if "://" not in args.cache and Path(args.cache).exists() and not Path(args.cache).is_dir():
        raise BuildError(f"--cache '{args.cache}' is a file, not a folder. Fix: pass a folder (it is created if "
                         "missing) or an fsspec URL", "--cache")


@dataclass
class Gathered:
    """Step 1's result: the report's pages and overrides, checked, and what the plan needs."""

    experiments: dict
    pages: list
    overrides: dict
    lines: dict      # (experiment, parameter) -> "file:line" of its override
    store: Any       # store.ResultStore
    env: Any         # plan.Environment: options and resources, each resolved once
    renderer: Any    # render.Renderer, its templates checked


def build(args: argparse.Namespace) -> int:
    """The build's four steps (docs/architecture.md): gather, plan, run, render."""
    t0 = time.perf_counter()
    check_device(args.device or "cpu")
    check_options(args)
    if up_to_date(args, t0):
        return 0
    if args.frozen:
        keys.forget_digests()
    n_threads = prepare(args)
    g = gather(args)
    nodes, run, todo = plan_build(g, args)
    if args.explain:
        explain(nodes, todo, n_threads)
        return 0
    if args.gc:
        removed = g.store.gc({n.name: n.key for n in nodes})
        print(f"--gc: removed {len(removed)} unreferenced cache entries")
    if not run_build(g, args, run, todo, n_threads):
        return 1
    render_build(g, args, nodes, t0)
    return 0


def up_to_date(args: argparse.Namespace, t0: float) -> bool:
    """The no-op fast path: nothing changed since the last full build (build_stamp.py), torch not loaded."""
    stamp = build_stamp.check(args, ROOT) if build_stamp.eligible(args) else None
    if stamp is not None:
        print(f"nothing changed since the build of {stamp['date']}: {len(stamp['rows'])} results cached, "
              f"{args.site} up to date ({time.perf_counter() - t0:.2f} s)")
    return stamp is not None


def prepare(args: argparse.Namespace) -> int:
    """Threads, and the folders the build may write: checked before any work. Returns the thread count."""
    n_threads, why = threads.apply(args.threads)
    print(f"CPU threads: {n_threads} ({why})")
    local_cache = {} if "://" in args.cache else {"the cache": Path(args.cache)}
    site_guard.check(args.site, {**local_cache, "the content": args.content, "the templates": args.templates},
                     repository=ROOT)
    return n_threads


def gather(args: argparse.Namespace) -> Gathered:
    """1. Pages, references, overrides and templates are checked before anything runs; the cache is
    opened (and what killed builds left is settled); resources are configured, and the page variant chosen."""
    from . import object_store
    from .plan import Environment, Options
    from .render import Renderer

    experiments = registry.discover()
    pages = content.gather(args.content, ROOT)
    content.check_references(pages, experiments)
    content.check_front_matter(pages, experiments)
    overrides, lines = content.merged_overrides(pages)
    store = object_store.open_store(args.cache)
    for d in store.recover(alone=store.hold_lock()):
        print(f"recovered from an interrupted build: {d}")
    opts = Options(seed=args.seed, device=args.device or "cpu", precision=args.precision or "fp32",
                   numerics_given=args.device is not None or args.precision is not None, frozen=args.frozen,
                   force=tuple(args.force), cache_dir=Path(args.cache), content_dir=Path(args.content))
    env = Environment(opts, resources.configure(args, experiments, store, args.frozen, resources.declared(pages)))
    renderer = Renderer(args.templates)
    for page in pages:
        renderer.template(f"{page.meta['layout']}.html", f"{page.rel}:2 (layout)")
    variant = resources.variant_of(env.resources)     # chooses what selects the page variant, said at once
    for r in env.resources.values():
        if r.variant() is not None:
            print(r.chosen())
    content.number_figures(pages, variant)
    return Gathered(experiments, pages, overrides, lines, store, env, renderer)


def plan_build(g: Gathered, args: argparse.Namespace) -> tuple[list, list, list]:
    """2. Every experiment's key and freshness. Returns (all nodes, the nodes this build runs: the --only
    closure when given, those of them not fresh)."""
    from .plan import page_roots, plan

    roots = sorted(page_roots(g.pages, g.overrides, g.env.resources) | set(args.only) | set(args.force))
    nodes = plan(g.experiments, g.overrides, g.env, g.store, g.lines, roots=roots)
    for r in g.env.resources.values():      # what each resource the plan needed was chosen as, and why
        if r.variant() is None and r.chosen():
            print(r.chosen())
    run = nodes
    if args.only:
        by_name = {n.name: n for n in nodes}
        wanted = set(registry.closure(args.only, lambda n: by_name[n].upstream))
        run = [n for n in nodes if n.name in wanted]
    return nodes, run, [n for n in run if n.status != "fresh"]


def explain(nodes: list, todo: list, n_threads: int) -> None:
    """--explain: each result's status, key, estimate and reason, and what a build would run."""
    print_table([{"experiment": n.name, "status": n.status, "why": n.reason, "key": n.key[:12],
                  "estimate": "" if n.status == "fresh" else _node_estimate(n, n_threads)} for n in nodes],
                ["experiment", "status", "key", "estimate", "why"])
    if todo:
        print(f"a build would run {len(todo)} result(s): {estimate.of_nodes(todo, n_threads).text()}")


def run_build(g: Gathered, args: argparse.Namespace, run: list, todo: list, n_threads: int) -> bool:
    """3. Run what is missing or stale, after an estimate (and a question above 10 minutes). False when
    the user said no."""
    if todo and not args.frozen:
        _check_runnable(todo, g.env.resources)
        est = estimate.of_nodes(todo, n_threads)
        print(f"will run {len(todo)} result(s): {', '.join(n.name for n in todo)}; {est.text()}")
        if not estimate.confirm(est, args.yes):
            print("nothing was run (answered no); --yes starts without asking", file=sys.stderr)
            return False
    if args.executor == "ray":
        from .ray_executor import execute_ray

        execute_ray(run, g.env, g.store, args.cache, args.ray_address)
    else:
        from .run import execute

        execute(run, g.env, g.store)
    return True


def render_build(g: Gathered, args: argparse.Namespace, nodes: list, t0: float) -> None:
    """4. The summary table, then the site (unless a figure still lacks its result), then the stamp of a
    full build."""
    from .plan import page_roots
    from .render import render_site

    rows = summary_rows(nodes)
    print_table(rows, ["experiment", "result", "seconds", "device", "host", "reason"])
    shown = page_roots(g.pages, {}, g.env.resources)   # what the page draws or quotes in this variant
    missing = sorted(shown - {n.name for n in nodes if n.entry})
    if missing:
        print(f"site not rendered: no results yet for {', '.join(missing)} (run without --only)")
        return
    build_line = {"seed": args.seed, "variant": resources.variant_of(g.env.resources),
                  **{k: v for r in g.env.resources.values() for k, v in r.page_facts().items()}}
    render_site(g.pages, {n.name: n.entry for n in nodes}, g.renderer, args.site, args.templates / "assets",
                build_line, rows)
    if not args.only:
        inputs = [f for n in nodes if n.entry for f in n.ingredients["inputs"] if f not in g.env.resources]
        build_stamp.write(args, ROOT, [n.entry for n in nodes if n.entry], inputs, rows)
    print(f"site written to {args.site} in {time.perf_counter() - t0:.1f} s")


def serve(args: argparse.Namespace) -> int:
    from livereload import Server

    def rebuild() -> None:
        try:
            build(args)
        except BuildError as e:
            print(f"error: {e}", file=sys.stderr)

    server = Server()
    for folder in (args.content, args.templates):
        server.watch(str(folder), rebuild, delay=0.5)
    server.serve(root=str(args.site), host="127.0.0.1", port=args.port, open_url_delay=None)
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.import_results is not None:
            from .import_results import import_results

            return import_results(args.import_results, args)
        code = build(args)
        if args.serve:
            return serve(args)
        return code
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except Exception as e:
        bug_in = getattr(e, "bug_in", None)
        if bug_in is None:
            raise
        traceback.print_exc()
        print(f"error: a bug in experiment {bug_in}, not a problem with your input: "
              f"{type(e).__name__}: {e}. Please report it with the traceback above", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the cache keeps every finished result, and training resumes from its last epoch",
              file=sys.stderr)
        return 130
