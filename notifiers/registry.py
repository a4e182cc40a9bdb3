"""Notifier types by name: the built-ins and those of installed plugins.

Built-ins go through the same path as third-party notifiers: a `type` name that resolves to a
class implementing `NotifierFactory`. Plugins register under the entry-point group
`veille.notifiers` (`name = "package.module:Class"`). Nothing is imported until asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, cast

from notifiers.base import Notifier, NotifierConfigError, NotifierFactory

ENTRY_POINT_GROUP = "veille.notifiers"

BUILTINS: dict[str, str] = {
    "console": "notifiers.console:ConsoleNotifier",
    "email": "notifiers.email:EmailNotifier",
    "webhook": "notifiers.webhook:WebhookNotifier",
    "apprise": "notifiers.apprise:AppriseNotifier",
}


class UnknownNotifierType(NotifierConfigError):
    """No built-in and no installed plugin answers to this `type`."""


def available_types() -> list[str]:
    """Every type name that `get` can resolve, built-ins first."""
    names = list(BUILTINS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in names:
            names.append(ep.name)
    return names


def get(type_name: str) -> NotifierFactory:
    """The notifier class for `type_name`; a built-in wins over a plugin of the same name."""
    target = BUILTINS.get(type_name)
    if target is not None:
        module_name, _, attr = target.partition(":")
        return cast(NotifierFactory, getattr(importlib.import_module(module_name), attr))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == type_name:
            return cast(NotifierFactory, ep.load())
    known = ", ".join(available_types())
    raise UnknownNotifierType([("type", f"unknown notifier type {type_name!r}; known: {known}")])


def build(type_name: str, name: str, options: Mapping[str, Any]) -> Notifier:
    """Validate `options` and build a notifier; raise NotifierConfigError with every problem."""
    return get(type_name).from_options(name, options)
