"""The one error of bad usage: a command asked for something that does not exist, or cannot be
done as asked (exit 2). Commands raise subclasses; the CLI prints the sentence."""

from __future__ import annotations


class UsageError(Exception):
    """A command was asked for something that does not exist (exit 2)."""
