"""Coded event records (KEDS/TABARI, ICEWS, GDELT) made into a scenario: ``dipsim import``."""
