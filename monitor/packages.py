"""Refuse to start when `notifiers` or `storage` resolves to an unrelated PyPI distribution."""

from __future__ import annotations

import importlib

from monitor.errors import ForeignPackageError

OWN = {"notifiers": "veille.notifiers", "storage": "veille.storage"}


def ensure_own_packages() -> None:
    """Raise ForeignPackageError naming the impostor's location and the fix."""
    for name, marker in OWN.items():
        module = importlib.import_module(name)
        if getattr(module, "VEILLE_PACKAGE", None) != marker:
            where = getattr(module, "__file__", None) or "an unknown location"
            raise ForeignPackageError(
                f"the '{name}' package imported from {where} is not veille's own: another "
                f"distribution named '{name}' is installed in this environment; uninstall it "
                f"(pip uninstall {name}) or install veille in its own virtual environment")
