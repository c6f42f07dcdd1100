"""Typed experiment parameters: one dataclass of defaults per experiment (docs/architecture.md),
and the checking of overrides that come from the content's front matter."""
from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from .constraints import Check
from .errors import BuildError


def _wanted(tp: Any) -> str:
    """'a value of type int that is between 0 and 999', for the Fix of an error."""
    if get_origin(tp) is Annotated:
        base, *checks = get_args(tp)
        return " ".join([_wanted(base)] + [f"that is {c.text}" for c in checks if isinstance(c, Check)])
    return f"a value of type {_type_name(tp)}"


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Annotated:
        return _type_name(get_args(tp)[0])
    if get_origin(tp) is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    return str(getattr(tp, "__name__", tp)) if get_origin(tp) is None else str(tp).replace("typing.", "")


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")   # 1e-4, 2.5E3: exponent forms only


def coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` (from YAML) against the type hint ``tp``; ints widen to floats."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        value = coerce(value, args[0], where)
        for check in args[1:]:
            if isinstance(check, Check) and not check.test(value):
                why = check.reason(value) if check.reason else None
                raise BuildError(f"{value!r} is not {check.text}" + (f": it {why}" if why else ""), where)
        return value
    if origin is Literal:
        if value in args:
            return value
    elif origin is Union:
        for a in args:
            try:
                return coerce(value, a, where)
            except BuildError:
                pass
    elif origin in (list, tuple) and isinstance(value, (list, tuple)):
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise BuildError(f"expected {len(args)} items, got {len(value)}", where)
            return tuple(coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    elif tp is Any:
        return value
    elif tp is type(None):
        if value is None:
            return None
    elif tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    elif tp is float and isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return float(value)   # YAML 1.1 reads 1e-4 (no dot) as text; a user means the number
    elif tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif tp in (str, bool) and isinstance(value, tp):
        return value
    raise BuildError(f"expected {_type_name(tp)}, got {value!r}", where)


def resolve(params_cls: type, overrides: dict, experiment: str, where_of=lambda key: None) -> Any:
    """Defaults of ``params_cls`` with ``overrides`` applied and type-checked.

    ``where_of(key)`` gives 'file:line' of an override for the error message (``where_of(None)``:
    the experiment's override block). Declared constraints are checked per value, then the
    dataclass's own ``problems()`` across values.
    """
    hints = typing.get_type_hints(params_cls, include_extras=True)
    fields = {f.name for f in dataclasses.fields(params_cls)}
    values = {}
    for key, value in overrides.items():
        where = where_of(key) or f"{experiment}.{key}"
        if key not in fields:
            raise BuildError(
                f"experiment '{experiment}' has no parameter '{key}'. Fix: use one of "
                f"{', '.join(sorted(fields))}", where)
        try:
            values[key] = coerce(value, hints[key], f"{experiment}.{key}")
        except BuildError as e:
            raise BuildError(f"parameter {e.where}: {e.message}. Fix: give {_wanted(hints[key])}", where) from None
    resolved = params_cls(**values)
    # checks across parameters: a Params may define problems() -> ["keep_epochs (5, 30) goes past ..."]
    for problem in getattr(resolved, "problems", list)():
        raise BuildError(f"experiment '{experiment}': {problem}. Fix: change the parameters so that they agree",
                         where_of(None) or experiment)
    return resolved


def as_dict(params: Any) -> dict:
    """JSON-ready dict of a params dataclass: tuples become lists at every depth, as in the manifest."""
    return json.loads(json.dumps(dataclasses.asdict(params)))
