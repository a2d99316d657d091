"""A scenario file becomes a checked, immutable ``Scenario``: safe YAML, models, references.

What-ifs are edits applied here too (``whatif``); ``loading`` is the one entry point.
"""
