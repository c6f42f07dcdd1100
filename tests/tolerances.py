"""How far two computations of one image may differ when only the thread count (summation order)
differs: at most one grey level, in at most 0.1 % of the pixel values (tests/test_determinism.py
measures it; the committed results are checked against their recomputation with it)."""
TOLERANCE_GREY_LEVELS = 1
TOLERANCE_SHARE = 1e-3
