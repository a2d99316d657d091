"""Messages quote at most a short prefix of any value (``simulator.core.errors.quoted``,
``cut_quotes``): a long value, or a file read by mistake as a scenario, is never printed whole
— in pydantic's messages (unions included), the whole-scenario checks and the key paths alike.
"""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.errors import QUOTED_MOST, ScenarioError, cut_quotes, quoted
from simulator.scenario.loading import load_scenario, scenario_from_text
from simulator.scenario.yamlread import dump_yaml, read_yaml
from tests.conftest import JAN2024

#: The longest message line allowed: lists of known names may be long, values may not.
LONGEST_LINE = 1_500

BASE: dict[str, Any] = read_yaml(JAN2024.read_text(encoding="utf-8"), "s.yaml").data


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of ``data`` (each place a value can be put)."""
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        found.append((*path, key))
        if isinstance(value, dict | list):
            found.extend(_places(value, (*path, key)))
    return found


PLACES = _places(BASE)
long_text = st.text(alphabet=string.ascii_letters, min_size=QUOTED_MOST + 40, max_size=5_000)


def _with(path: tuple[Any, ...], value: Any, as_key: bool) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if as_key and isinstance(parent, dict):
        parent[value] = parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    return data


def assert_quoted_briefly(problems: tuple[Any, ...], value: str) -> None:
    for problem in problems:
        line = str(problem)
        assert value[: QUOTED_MOST + 1] not in line, line[:300]
        assert len(line) <= LONGEST_LINE, line[:300]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    place=st.sampled_from(PLACES),
    value=long_text,
    shape=st.sampled_from(["text", "in-mapping", "in-list", "key", "as-key"]),
)
def test_a_long_value_anywhere_is_quoted_only_by_its_prefix(
    place: tuple[Any, ...], value: str, shape: str
) -> None:
    """A long text put anywhere in the replay (as a value, inside a mapping or a list, as a
    key): every problem line quotes at most its first QUOTED_MOST characters."""
    wrapped: Any = {
        "text": value,
        "in-mapping": {"k": value},
        "in-list": [value],
        "key": {value: 1},
        "as-key": value,
    }[shape]
    text = dump_yaml(_with(place, wrapped, as_key=shape == "as-key"))
    try:
        scenario_from_text(text, "s.yaml")
    except ScenarioError as err:
        assert_quoted_briefly(err.problems, value)


def test_the_21_long_union_messages_are_cut() -> None:
    """pydantic words a bad value of a union once per member; each quotes it cut."""
    value = "x" * 5_000
    for place in [("events", 0, "source"), ("rules",), ("machine", "transitions", 0)]:
        with pytest.raises(ScenarioError) as info:
            scenario_from_text(dump_yaml(_with(place, value, as_key=False)), "s.yaml")
        assert_quoted_briefly(info.value.problems, value)


def test_a_text_file_extended_by_mistake_is_not_printed(tmp_path: Path) -> None:
    """``extends`` of a file that is one long text (say a password file, were it allowed):
    the message says it is not a mapping and quotes its first characters only."""
    secret = "root:x:0:0:root:/root:/bin/bash\n" * 200
    (tmp_path / "passwd").write_text(secret, encoding="utf-8")
    (tmp_path / "w.yaml").write_text("extends: passwd\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "w.yaml")
    (problem,) = info.value.problems
    assert problem.message.startswith("a scenario must be a mapping of keys")
    assert len(problem.message) < 200
    assert secret[:QUOTED_MOST] not in problem.message


def test_quoted_and_cut_quotes_agree() -> None:
    assert quoted("a" * 10) == "'aaaaaaaaaa'"
    assert quoted("a" * 100) == "'" + "a" * (QUOTED_MOST - 4) + "..."
    assert quoted("\x1b[2J") == "'\\x1b[2J'"  # a terminal's control sequence, escaped
    message = f"unknown state {'b' * 200!r} in the scenario's machine"
    assert cut_quotes(message) == (
        f"unknown state '{'b' * (QUOTED_MOST - 4)}... in the scenario's machine"
    )
    kept = f"expression {'c' * 78!r} is too long"  # already cut by its maker: left alone
    assert cut_quotes(kept) == kept
