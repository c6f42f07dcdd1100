"""``--executor ray``: every experiment that must run becomes a Ray task (docs/cluster.md).

The plan is made by the driver exactly as for the local executor (same keys, same freshness).
Each task is submitted with its upstream tasks' references as arguments, so Ray starts it as soon
as those results exist, and independent experiments run at the same time, each on a worker that
has what ``cluster_needs.needs`` asks for. A task rebuilds its node from the plan, checks that its
machine would compute the same key (same code and resources), runs the experiment through
``run.run_node`` (the local executor's own function), writes the entry into the shared cache
and returns where it ran. Seeds come from ``--seed`` alone, never from a worker or the order, and
every task uses one torch thread, so a result does not depend on where it was computed.

Faults: a worker that dies is retried by Ray (``max_retries``); its half-written temporary folder
is never an entry and is removed by ``recover``. A user error inside a task ends the build with
the same one-line error as the local executor; any other exception is shown with the worker's
traceback. Ctrl-C cancels every outstanding task.
"""
from __future__ import annotations

import os
import socket
import time
from typing import Optional

from tqdm import tqdm

from ..errors import BuildError
from . import cluster_needs
from .resources import identity_in
from .plan import Environment, Node, check_frozen
from .store import Entry

MAX_RETRIES = 3        # a task whose worker died is run again up to this many times
TASK_THREADS = 1       # torch threads per task (and the CPUs it asks for)


def run_task(spec: dict, opts, pinned: dict, store_spec: str, *upstream_done) -> dict:
    """One experiment on a worker. ``spec``: the planned node (name, params, upstream, ingredients,
    key, status); ``pinned``: the driver's resources, set to make its choices (``Resource.pinned``);
    ``upstream_done``: the upstream tasks' results, passed only so that Ray waits."""
    import torch

    from . import keys, registry
    from .object_store import open_store
    from .plan import Environment, Node
    from .run import run_node

    torch.set_num_threads(TASK_THREADS)
    host, name, ing = socket.gethostname(), spec["name"], spec["ingredients"]
    where = f"experiment {name} on {host}"
    exp = registry.discover()[name]
    sources = keys.sources(exp)
    differ = sorted(f for f in set(sources) | set(ing["sources"]) if sources.get(f) != ing["sources"].get(f))
    if differ:
        raise BuildError(f"this node's code differs from the driver's ({', '.join(differ[:3])}). Fix: check out "
                         "the same commit on every node and install it (pip install -e '.[cluster]')", where)
    env, store = Environment(opts, pinned), open_store(store_spec)
    for r in env.used_by(exp):
        if r.identity() != identity_in(ing, r):
            raise BuildError(f"this node's {r.name} is {r.identity()}, the driver's {identity_in(ing, r)}. Fix: "
                             f"{r.mismatch_fix}", where)
    upstream: dict[str, Entry] = {}
    for u, key in ing["upstream"].items():
        entry = store.load(u, key)
        if entry is None:
            raise BuildError(f"upstream result '{u}' is not in the cache {store.describe()} as seen from this "
                             "node. Fix: use a cache every node shares (--cache on a shared filesystem, or an "
                             "s3:// or gs:// URL)", where)
        upstream[u] = entry
    node = Node(exp, spec["params"], spec["upstream"], ing, spec["key"], status=spec["status"])
    print(f"run {name} on {host} ({opts.device}, {TASK_THREADS} thread)", flush=True)
    run_node(node, upstream, env, store)
    return {"seconds": node.seconds, "device": node.device, "host": node.host}


def _spec(node: Node) -> dict:
    return {"name": node.name, "params": node.params, "upstream": node.upstream,
            "ingredients": node.ingredients, "key": node.key, "status": node.status}


def _start(ray, address: Optional[str]) -> str:
    """Connect to ``address``, or start a local instance on this machine's cores."""
    from .threads import cores

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    t0 = time.perf_counter()
    kwargs = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": True}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=cores(), **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise BuildError(f"cannot reach the Ray cluster at {address or 'a new local instance'}: {e}. Fix: start "
                         "it (`ray start --head`) or pass the head's --ray-address", "--ray-address") from None
    r = ray.cluster_resources()
    return (f"Ray: {'connected to ' + address if address else 'started a local instance'} in "
            f"{time.perf_counter() - t0:.1f} s: {len(ray.nodes())} node(s), {r.get('CPU', 0):g} CPU, "
            f"{r.get('GPU', 0):g} GPU")


def _check_feasible(ray, name: str, need: cluster_needs.Needs) -> None:
    """A task that no node can hold would wait forever: say so before anything runs."""
    for n in ray.nodes():
        r = n.get("Resources", {})
        if n.get("Alive") and r.get("CPU", 0) >= need.cpus and r.get("GPU", 0) >= need.gpus \
                and r.get("memory", 0) >= need.memory:
            return
    raise BuildError(f"no node of the Ray cluster has what experiment '{name}' needs ({need.describe()}). Fix: add "
                     "a node that has it, or use --executor local", "--executor ray")


def execute_ray(nodes: list[Node], env: Environment, store, store_spec: str, address: Optional[str]) -> None:
    """Run every node that is not fresh as a Ray task; fills in each node's entry, time and host."""
    todo = [n for n in nodes if n.status != "fresh"]
    check_frozen(todo, env.opts)
    if not todo:
        return
    try:
        import ray
    except ImportError:
        raise BuildError("--executor ray needs Ray. Fix: pip install -e '.[cluster]'", "--executor") from None
    started = not ray.is_initialized()
    if started:
        tqdm.write(_start(ray, address))
    pinned = {name: r.pinned() for name, r in env.resources.items()}   # the driver's choices (auto may differ)
    task = ray.remote(run_task)
    by_name = {n.name: n for n in nodes}
    refs: dict[str, object] = {}          # every task submitted, by experiment
    pending: dict[object, str] = {}       # those whose result is not collected yet
    try:
        for node in todo:
            need = cluster_needs.needs(node.exp, env.opts.device, env.used_by(node.exp), TASK_THREADS)
            _check_feasible(ray, node.name, need)
            deps = [u for u in node.upstream if u in refs]
            refs[node.name] = task.options(name=node.name, max_retries=MAX_RETRIES, retry_exceptions=False,
                                           **need.ray_options()).remote(_spec(node), env.opts, pinned, store_spec,
                                                                        *[refs[u] for u in deps])
            pending[refs[node.name]] = node.name
            tqdm.write(f"queued {node.name} ({node.reason}): {need.describe()}"
                       + (f", waits on {', '.join(deps)}" if deps else ""))
        with tqdm(total=len(todo), desc="experiments", dynamic_ncols=True) as bar:
            while pending:
                done = ray.wait(list(pending), num_returns=1)[0]
                name = pending.pop(done[0])
                res = _result(ray, done[0], name)
                if isinstance(res, Exception):
                    raise res
                node = by_name[name]
                node.entry = store.load(name, node.key)
                node.seconds, node.device, node.host, node.ran = res["seconds"], res["device"], res["host"], True
                bar.write(f"done {name} on {res['host']} ({res['device']}) in {res['seconds']:.1f} s")
                bar.update()
    except BaseException:
        _cancel(ray, list(pending))
        raise
    finally:
        # A reference freed after ray.shutdown() calls into the ended session, and Ray then ends the
        # process (exit 1 and a native stack, after or instead of the error's line). An error's
        # traceback keeps this frame, and every reference in it, alive until the error is reported:
        # drop them all while the session lives
        refs.clear()
        pending.clear()
        done = []
        store.recover()          # temporary folders of workers that died (their tasks were retried)
        if started:
            ray.shutdown()


def _result(ray, ref, name: str) -> dict | Exception:
    """A finished task's result, or the error to end the build with: a user error inside the task
    as the local executor's one-line error, anything else as a bug in the experiment with the
    worker's traceback. Returned, not raised, so that the error does not carry Ray's own frames
    (and the references they hold) as its context."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, BuildError):
            return BuildError(cause.message, cause.where)
        bug = RuntimeError(f"failed on a Ray worker; the worker's traceback:\n{e}")
        setattr(bug, "bug_in", name)  # cli.main reports it as a bug in this experiment
        return bug


def _cancel(ray, unfinished: list) -> None:
    """Cancel the tasks whose results were not collected (the loop variable ends with this frame, not
    in the executor's). Never a collected one: Ray 2.60 may still be completing that task's
    bookkeeping, and a forced cancel then fails Ray's own check ("Tried to complete task that was
    not pending"), which ends the process with exit 1 and a native stack instead of the error."""
    for ref in unfinished:
        ray.cancel(ref, force=True)
