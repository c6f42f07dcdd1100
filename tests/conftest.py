"""Shared test setup: one torch thread (tiny models are faster so on a shared 2-core box), offline hub."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


# The longest test files start first, so that with one worker per core (pyproject.toml) the others
# share out the rest while they run: the DeepFloyd stand-in build (about 4 min) and the cluster tests.
LONGEST_FIRST = ("tests/models/test_deepfloyd_build.py", "tests/engine/test_cluster.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))   # stable: order kept within


@pytest.fixture(autouse=True, scope="session")
def one_thread_builds():
    """Builds run in-process keep the suite's one thread (tests/engine/test_threads.py checks the choice)."""
    from generator.engine import threads

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(threads, "apply", lambda requested: (1, "tests: one thread"))
        yield


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def golden(tmp_path_factory):
    """One real build of the tiny report (tests/engine/test_build.py's page), shared by every module; tests copy it."""
    from .tiny_report import build, write_page

    proj = tmp_path_factory.mktemp("golden")
    write_page(proj / "content")
    code, _, _ = build(proj)
    assert code == 0
    return proj


@pytest.fixture
def proj(golden, tmp_path):
    """A copy of the golden tiny report (content, cache, site) that a test may change."""
    import shutil

    for name in ("content", "cache", "site"):
        shutil.copytree(golden / name, tmp_path / name)
    return tmp_path
