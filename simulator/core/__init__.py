"""The bottom layer, used by every other part: error types, the guard language, atomic writes.

Nothing here imports the rest of dipsim, and nothing here imports a heavy library.
"""
