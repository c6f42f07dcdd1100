"""The cluster path (issue: experiments as Ray tasks over a shared cache), on this machine.

* a local Ray instance (2 CPUs) runs Part A on the tiny scratch models: the entries and the page
  are byte-identical to the local executor's;
* a killed worker is retried and leaves no entry or temporary folder behind;
* a user error inside a task ends the build with the local executor's one-line error;
* the cache as an fsspec URL (``file://``, and a real S3 server on 127.0.0.1 from moto) gives the
  same results, and two builds computing the same keys at once into one cache both succeed.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from generator.engine.store import Store
from generator.paths import ROOT

from ..tiny_report import TINY_SCRATCH

pytest.importorskip("ray")


@pytest.fixture(autouse=True)
def no_ray_session_in_the_test_process(monkeypatch):
    """Ray ends the process that hosts its session on some faults (exit 1 and a native stack: see
    ``test_a_user_error_ends_the_ray_session_without_ending_the_process``). Started inside a test
    worker, it would take the worker down and, with it, the tests queued there: every Ray session
    here belongs to a build or script in a process of its own."""
    import ray

    def refuse(*args, **kwargs):
        raise AssertionError("a Ray session in the test process: run the build in a subprocess (cli() here)")
    monkeypatch.setattr(ray, "init", refuse)


# Part A on the tiny scratch models, every kind of figure: images, comparisons, trajectories, tables
PART_A = {
    "forward_process": ({"t": [100, 600]}, ["noisy"]),
    "iterative_denoising": ({"every": 10}, ["steps", "trajectory"]),
    "cfg_sampling": ({"n": 2, "sweep_prompts": ["a handwritten 3"], "sweep_gammas": [1.0, 3.0]},
                     ["samples", "trajectory"]),
    "sdedit": ({"reads": 2, "images": ["test"], "i_starts": [10, 20], "compare_i_start": 20}, ["grid", "readings"]),
    "anagrams": ({"candidates": 2, "shown": 1}, ["illusions", "readings"]),
}


def page(part_a: dict) -> str:
    ov = TINY_SCRATCH | {k: v[0] for k, v in part_a.items()}
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in ov.items())
    body = "\n\n".join(f"![{n}/{a}](exp:{n}/{a})" for n, (_, figures) in part_a.items() for a in figures)
    front = f"---\nlayout: project\ntitle: Tiny\npermalink: /tiny/\nexperiments:\n{lines}---\n"
    return f"{front}\n# Tiny {{#t}}\n\n{body}\n"


def project(golden, tmp: Path, part_a: dict = PART_A, keep_choice: bool = True) -> Path:
    """The tiny report's cache (its scratch models; without the choice among them unless
    ``keep_choice``, so that Part A waits on a result computed in the same build) and a page of
    Part A figures to compute."""
    drop = () if keep_choice else ("part_a_model",)
    shutil.copytree(golden / "cache", tmp / "cache", ignore=shutil.ignore_patterns(".work", *drop))
    (tmp / "content").mkdir(parents=True)
    (tmp / "content" / "index.md").write_text(page(part_a))
    return tmp


def ray_env(**extra: str) -> dict[str, str]:
    """The environment of a process that starts a Ray session here: no usage report, one thread."""
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1", **extra}


def cli(proj: Path, *extra: str, cache_arg: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """``build.py`` in a subprocess (Ray's workers and signals need a real process)."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(proj / "content"),
                           "--cache", cache_arg or str(proj / "cache"), "--site", str(proj / "site"),
                           "--threads", "1", *extra], capture_output=True, text=True, timeout=timeout, env=ray_env(),
                          cwd=ROOT)


def artifacts_of(store_root: Path, names) -> dict[str, dict[str, str]]:
    """{experiment: {file name: sha256}} of the newest entry of each experiment (mirror or folder)."""
    out = {}
    for n in names:
        mans = [json.loads(p.read_text()) for p in (store_root / n).glob("*/manifest.json")]
        if not mans:   # an object store's mirror holds files without a manifest
            continue
        m = max(mans, key=lambda m: m["provenance"]["date"])
        out[n] = {Path(f).name: d for a in m["artifacts"].values() for f, d in a["sha256"].items()}
    return out


def site_files(site: Path) -> dict[str, bytes]:
    """Every file of the site except the build summary (it records times, dates and machines)."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and "build-summary" not in p.parts}


@pytest.fixture(scope="module")
def local_build(golden, tmp_path_factory):
    proj = project(golden, tmp_path_factory.mktemp("local"), keep_choice=False)
    r = cli(proj)
    assert r.returncode == 0, r.stderr[-3000:]
    return proj


def test_ray_executor_gives_the_local_executors_results(golden, local_build, tmp_path):
    proj = project(golden, tmp_path, keep_choice=False)
    t0 = time.perf_counter()
    r = cli(proj, "--executor", "ray")
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout + r.stderr
    assert re.search(r"Ray: started a local instance in [\d.]+ s: 1 node\(s\), 2 CPU", out)
    for name in PART_A:    # each computed on a worker, and the terminal says where
        assert re.search(rf"done {name} on \S+ \(cpu\) in [\d.]+ s", out), name
    assert re.search(r"queued anagrams .*waits on part_a_model", out)
    local = artifacts_of(local_build / "cache", PART_A)
    ray = artifacts_of(proj / "cache", PART_A)
    assert set(ray) == set(PART_A) and ray == local          # entry by entry, file by file
    assert site_files(proj / "site") == site_files(local_build / "site")
    summary = (proj / "site" / "build-summary" / "index.html").read_text()
    assert "<th scope=\"col\">computed on</th>" in summary and f" on {os.uname().nodename}<" in summary
    print(f"ray build of {len(PART_A)} Part A experiments: {time.perf_counter() - t0:.1f} s")



# a task that runs long enough to be interrupted: the tiny flow model trained for 3 epochs (about 30 s)
LONG = {"train_flow": ({**TINY_SCRATCH["train_flow"], "epochs": 3}, []),
        "cfg_sampling": ({"n": 2, "sweep_prompts": ["a handwritten 3"], "sweep_gammas": [1.0]}, ["samples"])}


def test_a_killed_worker_is_retried_and_leaves_nothing_behind(golden, tmp_path):
    proj = project(golden, tmp_path, LONG)
    killed = []

    def kill_the_worker():   # the worker's process title is ray::<task name> while it runs the task
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            for pid in os.listdir("/proc"):
                if pid.isdigit() and _cmdline(pid).startswith("ray::train_flow"):
                    time.sleep(3.0)                  # in the middle of its first epoch
                    os.kill(int(pid), signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.05)

    t = threading.Thread(target=kill_the_worker)
    t.start()
    r = cli(proj, "--executor", "ray")
    t.join()
    assert killed, "the task's worker was never seen"
    assert r.returncode == 0, r.stderr[-3000:]
    # the task ran again, on another worker process than the one killed
    assert set(re.findall(r"\(train_flow pid=(\d+)", r.stdout + r.stderr)) - set(killed)
    for name, params in LONG.items():     # one complete entry each (the tiny report's 1-epoch model aside)
        manifests = [json.loads(f.read_text()) for f in (proj / "cache" / name).glob("*/manifest.json")]
        (entry,) = [m for m in manifests if params[0].items() <= m["ingredients"]["params"].items()]
        assert Store(proj / "cache").load(name, entry["key"]) is not None
    assert not list((proj / "cache").glob("*/.tmp-*")) and not list((proj / "cache").glob("*/.old-*"))


def test_a_user_error_in_a_task_is_the_local_one_line_error(golden, tmp_path):
    # an MNIST digit past the end of the test split: only forward_process can see it, when it runs in the task
    part = {"forward_process": ({"image": "mnist:7:99999"}, ["noisy"])}
    proj = project(golden, tmp_path, part)
    errors = {}
    for executor in ("local", "ray"):
        r = cli(proj, "--executor", executor)
        errors[executor] = (r.returncode, r.stderr.strip().splitlines()[-1])
    assert errors["local"][0] == 2 and "Traceback" not in errors["local"][1]
    assert errors["local"][1] == "error: experiment forward_process: image 'mnist:7:99999': the MNIST test split " \
                                 "has fewer than 100000 digits 7. Fix: use a smaller K"
    assert errors["ray"] == errors["local"]
    # no entry for the refused parameters (the tiny report's own forward_process entry stays) and no leftovers
    made = [json.loads(f.read_text())["ingredients"]["params"] for f in (proj / "cache").glob("forward_process/*/manifest.json")]
    assert made and not [p for p in made if p.get("image") == "mnist:7:99999"]
    assert not list((proj / "cache").glob("forward_process/.tmp-*"))


# Run in a process of its own: a Ray session started inside a test worker takes that worker down
# with it when Ray ends its host process (see the test's docstring), and pytest-xdist then loses the
# worker's remaining tests. Prints {"error", "initialized", "held", "cancelled_done"} as JSON, then
# drops the error (what the real command does after that, its exit code and last line, is the
# user-error test's).
USER_ERROR_UNDER_RAY = textwrap.dedent("""
    import gc, json, sys
    import ray
    from generator.engine import cli as build_cli
    from generator.engine.ray_executor import execute_ray
    from generator.errors import BuildError

    proj = sys.argv[1]
    args = build_cli.parse_args(["--content", proj + "/content", "--cache", proj + "/cache",
                                 "--site", proj + "/site", "--threads", "1", "--executor", "ray"])
    g = build_cli.gather(args)
    _, run, _ = build_cli.plan_build(g, args)
    cancelled_done, cancel = [], ray.cancel

    def cancel_unless_done(ref, **kwargs):    # a finished task is noted, not cancelled: that may end us
        if ray.wait([ref], timeout=0)[0]:
            cancelled_done.append(ref.hex())
        else:
            cancel(ref, **kwargs)
    ray.cancel = cancel_unless_done
    try:
        execute_ray(run, g.env, g.store, args.cache, None)
        error = None
    except BuildError as e:
        error = e

    def refs_in(value):
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        return any(isinstance(v, ray.ObjectRef) for v in [value, *items])

    held, e, tb = [], error, None
    while e is not None:        # the error and any it was raised from or during
        tb = e.__traceback__
        while tb is not None:
            held += [f"{tb.tb_frame.f_code.co_name}: {k}" for k, v in tb.tb_frame.f_locals.items() if refs_in(v)]
            tb = tb.tb_next
        e = e.__cause__ or e.__context__
    print(json.dumps({"error": str(error), "initialized": ray.is_initialized(), "held": held,
                      "cancelled_done": cancelled_done}), flush=True)
    del error, e, tb
    gc.collect()
""")


def test_a_user_error_ends_the_ray_session_without_ending_the_process(golden, tmp_path):
    """Ray ends the whole process that hosts its session (exit 1, its native stack as the last
    line of stderr), after the one-line error was printed or before, in two ways that a failed
    task led to now and then (the user-error test above, and a CI test worker that ran this
    check inside itself):
    * a reference to a task's result freed after ``ray.shutdown()`` calls into the ended session.
      The error's traceback keeps the executor's frame alive until the error is reported, so no
      frame of it may hold a reference when the executor has shut Ray down;
    * a forced cancel of the failed task, whose result the executor has just read, can meet Ray
      still completing that task and fail Ray's own check ("Tried to complete task that was not
      pending"). On an error the executor cancels only the tasks it has no result of."""
    proj = project(golden, tmp_path, {"forward_process": ({"image": "mnist:7:99999"}, ["noisy"])})
    r = subprocess.run([sys.executable, "-c", USER_ERROR_UNDER_RAY, str(proj)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env=ray_env())
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith('{"error"')]
    assert lines, f"exit {r.returncode}: {r.stderr[-3000:]}"
    seen = json.loads(lines[-1])
    assert "has fewer than 100000 digits 7" in seen["error"]       # the user error ended the build
    assert not seen["initialized"]
    assert seen["held"] == []
    assert seen["cancelled_done"] == []


@pytest.mark.parametrize("kind", ["folder", "file URL"])
def test_two_concurrent_builds_into_one_cache(golden, local_build, tmp_path, kind):
    """Both compute the same keys at the same time; both succeed; one complete entry per key."""
    part = {k: PART_A[k] for k in ("forward_process", "cfg_sampling")}
    proj = project(golden, tmp_path, part)
    shutil.copytree(golden / "cache", tmp_path / "store", ignore=shutil.ignore_patterns(".work"))
    spec = str(tmp_path / "store") if kind == "folder" else f"file://{tmp_path / 'store'}"
    procs = [subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(proj / "content"),
                               "--cache", spec, "--site", str(tmp_path / f"site{i}"), "--threads", "1"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"}) for i in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    from generator.engine.object_store import open_store

    store = open_store(spec)
    for name, (params, _) in part.items():      # one complete entry per key, equal to the local executor's
        mans = [json.loads(p.read_text()) for p in (tmp_path / "store" / name).glob("*/manifest.json")]
        mine = [m for m in mans if params.items() <= m["ingredients"]["params"].items()]
        assert len(mine) == 1
        assert store.load(name, mine[0]["key"]) is not None            # every file there, every hash right
        assert {Path(f).name: d for a in mine[0]["artifacts"].values() for f, d in a["sha256"].items()} == \
            artifacts_of(local_build / "cache", [name])[name]
    assert not list((tmp_path / "store").glob("*/.tmp-*")) and not list((tmp_path / "store").glob("*/.old-*"))
    assert site_files(tmp_path / "site0") == site_files(tmp_path / "site1")
    r = cli(proj, "--explain", cache_arg=spec)
    assert r.returncode == 0 and all(re.search(rf"^{n}\s+fresh", r.stdout, re.M) for n in part)
    if kind == "file URL":
        # --frozen verifies through the store; --gc keeps the live entries and removes the rest,
        # the files of the writer whose manifest lost the race included
        r = cli(proj, "--gc", "--frozen", cache_arg=spec)
        assert r.returncode == 0, r.stderr[-2000:]
        for name in part:
            (entry,) = (tmp_path / "store" / name).iterdir()
            assert len([d for d in entry.iterdir() if d.is_dir()]) == 1


def test_s3_cache_on_a_real_s3_server(golden, local_build, tmp_path):
    """moto's S3 server on 127.0.0.1 (a real HTTP server; the client is the real s3fs/botocore)."""
    pytest.importorskip("s3fs")
    server = pytest.importorskip("moto.server")
    srv = server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    srv.start()
    try:
        host, port = srv.get_host_and_port()
        aws = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        with pytest.MonkeyPatch.context() as mp:
            for k, v in aws.items():
                mp.setenv(k, v)
            import fsspec

            fs, _ = fsspec.core.url_to_fs("s3://results")
            fs.mkdir("results")
            part = {k: PART_A[k] for k in ("forward_process", "cfg_sampling")}
            proj = project(golden, tmp_path, part)
            fs.put(str(proj / "cache") + "/", "results/cache", recursive=True)   # the scratch models
            url = "s3://results/cache"
            r = cli(proj, cache_arg=url)
            assert r.returncode == 0, r.stderr[-3000:]
            assert re.search(r"cfg_sampling\s+computed", r.stdout)
            from generator.engine.object_store import ObjectStore

            store = ObjectStore(url, tmp_path / "mirror")
            for name, (params, _) in part.items():
                mans = [json.loads(fs.cat_file(m)) for m in fs.glob(f"results/cache/{name}/*/manifest.json")]
                (mine,) = [m for m in mans if params.items() <= m["ingredients"]["params"].items()]
                assert store.load(name, mine["key"]) is not None
                assert {Path(f).name: d for a in mine["artifacts"].values() for f, d in a["sha256"].items()} == \
                    artifacts_of(local_build / "cache", [name])[name]
            r = cli(proj, "--frozen", cache_arg=url)
            assert r.returncode == 0 and "computed" not in r.stdout, r.stderr[-2000:]
            fs.rm(fs.glob("results/cache/cfg_sampling/*/manifest.json"), recursive=False)   # a lost manifest
            r = cli(proj, "--frozen", cache_arg=url)
            assert r.returncode == 2 and "cfg_sampling: missing" in r.stderr
    finally:
        srv.stop()


def _as_in_a_terminal() -> None:
    """A terminal delivers Ctrl-C to a build whose SIGINT is at its default. A process started in the
    background by a non-interactive shell (CI running `.ci/run &`) inherits SIGINT *ignored*, and Python
    then never raises KeyboardInterrupt: the build ran on to the end. Restore the default in the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_cancels_the_tasks_and_leaves_the_cache_consistent(golden, tmp_path):
    proj = project(golden, tmp_path, LONG)
    before = sorted(str(p) for p in (proj / "cache").rglob("manifest.json"))
    p = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(proj / "content"), "--cache",
                          str(proj / "cache"), "--site", str(proj / "site"), "--threads", "1", "--executor", "ray"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=ray_env(PYTHONUNBUFFERED="1"),   # a pipe would hold the "run" line until exit
                         preexec_fn=_as_in_a_terminal)
    seen = []
    watchdog = threading.Timer(300, p.kill)   # a build that never gets there ends the loop below
    watchdog.start()
    try:
        for line in p.stdout:                  # wait until the training runs on a worker
            seen.append(line)
            if "run train_flow on" in line:
                break
        time.sleep(2.0)
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=120)
    finally:
        watchdog.cancel()
        if p.poll() is None:                   # a failed test must not leave a build and its Ray running
            p.kill()
            p.wait()
    assert p.returncode == 130, "".join(seen) + rest
    assert "interrupted" in rest and "done train_flow" not in rest
    assert sorted(str(p) for p in (proj / "cache").rglob("manifest.json")) == before   # nothing published
    def workers() -> list[str]:
        return [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).startswith("ray::train_flow")]

    deadline = time.monotonic() + 30     # the cancelled worker is killed; on a loaded machine that takes seconds
    while workers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not workers()
    r = cli(proj, "--explain")
    assert r.returncode == 0 and re.search(r"^train_flow\s+stale.*epochs: 1 -> 3", r.stdout, re.M)
    assert not list((proj / "cache").glob("*/.tmp-*"))     # the next build removed the worker's leftovers


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
