"""``dipsim check``: static analysis, claims judged on runs, random exploration of invariants.

Reads scenarios and runs them through the engine; never writes anything.
"""
