"""Outputs made from traces and outcomes: tables, JSON, CSV, diffs, check reports, the HTML page.

Everything here reads :class:`~simulator.engine.trace.Trace` objects and outcomes; only
:mod:`simulator.report.html.build` loads and runs a scenario, to feed the page.
"""
