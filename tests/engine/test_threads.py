"""The thread count: idle cores at start-up, at least one, or what --threads says."""
from generator.engine import threads


def test_auto_takes_the_idle_cores(monkeypatch):
    cores = threads.choose(None)[0]
    monkeypatch.setattr(threads, "busy_cores", lambda window=0.2: 0.0)
    idle_n, why = threads.choose(None)
    assert idle_n >= 1 and "auto" in why and idle_n >= cores
    monkeypatch.setattr(threads, "busy_cores", lambda window=0.2: 64.0)
    assert threads.choose(None)[0] == 1  # a machine busier than its cores still gets one thread
    assert threads.choose(3) == (3, "--threads 3")


def test_busy_cores_sees_a_busy_neighbour():
    import multiprocessing
    import os

    quiet = threads.busy_cores(0.3)
    p = multiprocessing.Process(target=_spin, daemon=True)
    p.start()
    try:
        busy = threads.busy_cores(0.5)
    finally:
        p.kill()
    assert 0 <= quiet <= (os.cpu_count() or 1) + 0.5
    assert busy >= quiet + 0.5 or busy >= 0.8, (quiet, busy)


def _spin():
    while True:
        pass
