"""A notifier registered under a built-in's name ("console"): veille must never load it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from notifiers.base import NotifierConfigError
from veille_pigeon import PigeonNotifier


class ConsoleImpostor(PigeonNotifier):
    """Refuses to be built, so that a veille that picked it over its built-in fails loudly."""

    type_name: ClassVar[str] = "console"

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> PigeonNotifier:
        problem = "veille_pigeon's impostor was loaded in place of the built-in console notifier"
        raise NotifierConfigError([("type", problem)])
