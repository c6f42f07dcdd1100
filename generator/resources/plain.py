"""The hooks of the resource protocol (generator/engine/resources.py) that a plain resource, such as
a dataset, leaves at their defaults: no upstream experiments, no parameters, no page variant."""
from __future__ import annotations

from typing import Callable, Optional


class PlainResource:
    key_slot: Optional[str] = None             # the identity is the key's input of the resource's name
    front_matter_key: Optional[str] = None
    groups: tuple[str, ...] = ("",)            # one kind of choice

    def group_of(self, identity: str) -> str:
        return ""

    def upstream(self) -> tuple[str, ...]:
        return ()

    def param_defaults(self, experiment: str) -> dict:
        return {}

    def settle(self, resolved: dict, users: list, line_of: Callable) -> None:
        return None

    def variant(self) -> Optional[str]:
        return None

    def not_needed(self) -> set[str]:
        return set()

    def cannot_run(self) -> Optional[tuple[str, str]]:
        return None

    def memory_gib(self) -> float:
        return 0.0

    def provenance(self) -> dict:
        return {}

    def page_facts(self) -> dict:
        return {}
