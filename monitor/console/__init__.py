"""The console: web pages, a JSON API, an Atom feed per watch, health and Prometheus metrics.

Imported lazily: the engine only touches `monitor.console.metrics` (counters) and, when
`[veille.http] listen` is set, `monitor.console.server` (the console's own thread and loop).
"""
