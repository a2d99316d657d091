"""``dipsim report``: one self-contained HTML page, section by section, and what feeds it.

``build`` loads, runs, checks and draws; ``page`` assembles the sections laid out by the rest.
"""
