"""Both stores meet the one declared protocol the build uses (issue 27: the store was typed
"ObjectStore | Store" before): the same methods, with the same parameters."""
import inspect

from generator.engine.object_store import ObjectStore, open_store
from generator.engine.store import ResultStore, Store

MEMBERS = [n for n in vars(ResultStore) if not n.startswith("_")]


def test_the_protocol_names_what_the_build_uses():
    assert set(MEMBERS) == {"work_root", "describe", "load", "previous", "write", "hold_lock", "recover", "gc"}
    assert inspect.signature(open_store).return_annotation in (ResultStore, "ResultStore")


def test_both_stores_have_every_member_with_the_protocols_parameters():
    for cls in (Store, ObjectStore):
        for name in MEMBERS:
            want, got = getattr(ResultStore, name), getattr(cls, name, None)
            assert got is not None, f"{cls.__name__} lacks {name}"
            if isinstance(want, property):
                assert isinstance(got, property), f"{cls.__name__}.{name} is not a property"
                continue
            assert list(inspect.signature(got).parameters) == list(inspect.signature(want).parameters), \
                f"{cls.__name__}.{name}{inspect.signature(got)} differs from the protocol's {inspect.signature(want)}"
