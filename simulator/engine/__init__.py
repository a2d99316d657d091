"""A ``Scenario`` is run: the state machine, rules, the SimPy engine, its ``Trace``, many runs.

Seeds, Monte Carlo ``Outcomes`` and the plain-loop reference fold the engine is tested against.
"""
