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


def test_busy_cores_is_the_busy_share_of_proc_stat_times_the_cores(monkeypatch):
    """Two samples of /proc/stat's (busy, total) jiffies 0.2 s apart: busy cores = d(busy) / d(total) x
    cores. Deterministic (the samples are given), so it fails if the formula does, whatever else runs."""
    samples = iter([(100.0, 400.0), (150.0, 500.0)])   # half of all CPU time busy in the window
    monkeypatch.setattr(threads, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(threads.time, "sleep", lambda s: None)
    assert threads.busy_cores() == 2.0
    samples = iter([(100.0, 400.0), None])   # /proc/stat unreadable the second time: the load average
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1.25, 1.0, 1.0))
    assert threads.busy_cores() == 1.25


def test_busy_cores_on_this_machine_is_between_none_and_all():
    import os

    assert 0 <= threads.busy_cores(0.3) <= (os.cpu_count() or 1) + 0.5
