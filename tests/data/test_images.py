"""The image specs Part A edits (generator/data/images.py): every kind loads at any size and channel
count, digits are framed as MNIST frames them, drawings are deterministic, and a bad spec says how to
fix it."""
import numpy as np
import pytest
import torch

from generator.data import images


@pytest.mark.parametrize("spec", ["photo:camera", "photo:coffee", "sketch:house", "sketch:tree", "digit:3",
                                  "scribble:8", "font:4", "mnist:7", "mnist:7:2"])
@pytest.mark.parametrize("size,channels", [(28, 1), (64, 3)])
def test_every_kind_loads_at_any_size_in_unit_range(spec, size, channels):
    fake = lambda n, k: torch.full((1, 28, 28), (n * 10 + k) / 100)   # noqa: E731  (a stand-in test split)
    x = images.load(spec, size, channels, fake)
    assert x.shape == (channels, size, size) and x.dtype == torch.float32
    assert 0 <= float(x.min()) and float(x.max()) <= 1


def test_a_file_spec_reads_the_users_image_centre_square(tmp_path):
    from PIL import Image

    a = np.zeros((40, 80, 3), np.uint8)
    a[:, 20:60] = 255                       # a white square in the middle of a wide picture
    Image.fromarray(a).save(tmp_path / "me.png")
    x = images.load("file:me.png", 40, 1, content=tmp_path)
    assert x.shape == (1, 40, 40) and float(x.min()) > 0.95   # the centre square is all white


def test_mnist_specs_pick_the_kth_digit_of_the_split():
    seen = []
    images.load("mnist:7:2", 28, 1, lambda n, k: seen.append((n, k)) or torch.zeros(1, 28, 28))
    images.load("mnist:4", 28, 1, lambda n, k: seen.append((n, k)) or torch.zeros(1, 28, 28))
    assert seen == [(7, 2), (4, 0)]


@pytest.mark.parametrize("kind", ["digit", "scribble", "font"])
def test_drawn_digits_are_framed_like_mnist(kind):
    for n in range(10):
        a = np.asarray(images.load(f"{kind}:{n}", 28, 1)[0])
        ys, xs = np.nonzero(a > 0.1)
        assert ys.max() - ys.min() <= 21 and xs.max() - xs.min() <= 21, (kind, n)   # a 20 px box
        cy, cx = (np.array(np.nonzero(a >= 0)) * a.ravel()[None]).sum(1) / a.sum()
        assert abs(cy - 13.5) < 1.6 and abs(cx - 13.5) < 1.6, (kind, n, cy, cx)      # centred by mass


def test_drawings_are_deterministic_and_scribbles_are_not_the_clean_digit():
    assert torch.equal(images.load("scribble:5", 28, 1), images.load("scribble:5", 28, 1))
    assert torch.equal(images.load("sketch:house", 64, 3), images.load("sketch:house", 64, 3))
    assert (images.load("scribble:5", 28, 1) - images.load("digit:5", 28, 1)).abs().mean() > 0.02


@pytest.mark.parametrize("spec,says", [("digit:12", "no such digit"), ("photo:nope", "scikit-image bundles no such"),
                                       ("photo:lbp_frontal_face_cascade_filename", "scikit-image bundles no such"),
                                       ("sketch:car", "no such sketch"), ("mnist:7:x", "malformed"),
                                       ("paint:3", "unknown image spec")])
def test_a_bad_spec_names_itself_and_the_fix(spec, says):
    from generator.errors import BuildError

    with pytest.raises(BuildError, match=says) as e:
        images.load(spec, 28, 1, lambda n, k: torch.zeros(1, 28, 28))
    assert spec.split(":")[0] in str(e.value) and "Fix" in str(e.value)


@pytest.mark.parametrize("spec", ["digit:12", "photo:nope", "photo:lbp_frontal_face_cascade_filename", "sketch:car",
                                  "mnist:7:x", "mnist:", "paint:3", "selfie", "file:", "font:a"])
def test_the_plan_time_check_refuses_what_loading_would_refuse(spec):
    """images.spec_problem (checked when the build plans) says what is wrong without loading anything."""
    assert images.spec_problem(spec)


def test_the_plan_time_check_accepts_every_role_and_bundled_photo():
    from generator.models.deepfloyd import DeepFloydBackend
    from generator.models.scratch_backend import ScratchBackend

    for backend in (ScratchBackend, DeepFloydBackend):   # a role is what every backend maps to an image
        assert set(backend.images) == set(images.ROLES)
        assert all(images.spec_problem(s) is None for s in backend.images.values())
    for name in images.PHOTOS:   # each loads offline and is a picture
        assert images.spec_problem(f"photo:{name}") is None
        assert images.load(f"photo:{name}", 16, 3).shape == (3, 16, 16)
    for spec in ("digit:0", "scribble:9", "font:4", "mnist:7", "mnist:7:2", "sketch:house", "file:images/x.png"):
        assert images.spec_problem(spec) is None
