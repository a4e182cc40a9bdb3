"""Notifier types by name: the built-ins and those of installed plugins.

Built-ins go through the same path as third-party notifiers: a `type` name that resolves to a
class implementing `NotifierFactory`. Plugins register under the entry-point group
`veille.notifiers` (`name = "package.module:Class"`). Nothing is imported until asked for.
A plugin that cannot be imported is a config problem of the table that asks for it, never a
crash.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
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


class PluginLoadError(NotifierConfigError):
    """An installed plugin answers to this `type` but cannot be imported, or is no notifier."""


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
            return _load(ep)
    known = ", ".join(available_types())
    raise UnknownNotifierType([("type", f"unknown notifier type {type_name!r}; known: {known}")])


def _load(ep: EntryPoint) -> NotifierFactory:
    """The class an entry point names; PluginLoadError when it cannot be had."""
    source = ep.value + (f", from {ep.dist.name} {ep.dist.version}" if ep.dist else "")
    what = f"the {ep.name!r} notifier plugin ({source})"
    try:
        loaded = ep.load()
    except Exception as exc:  # any failure of a third party's import is theirs to fix
        problem = f"{what} cannot be loaded: {type(exc).__name__}: {exc}"
        raise PluginLoadError([("type", problem)]) from exc
    if not callable(getattr(loaded, "from_options", None)):
        problem = f"{what} is not a notifier class: it has no from_options()"
        raise PluginLoadError([("type", problem)])
    return cast(NotifierFactory, loaded)


def build(type_name: str, name: str, options: Mapping[str, Any]) -> Notifier:
    """Validate `options` and build a notifier; raise NotifierConfigError with every problem."""
    return get(type_name).from_options(name, options)
