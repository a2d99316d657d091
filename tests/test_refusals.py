"""Inputs that used to be taken wrongly or reported badly: a batch parameter's value the
scenario refuses, a bad probability expression, a probability written as text, booleans where a
batch spec wants numbers, names Python would read as other names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import cli
from simulator.core.errors import ExpressionError
from simulator.core.expressions import parse_expression
from tests.test_runtime_errors import assert_clean, write


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def batch(tmp_path: Path, body: str) -> Result:
    write(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"dipsim_batch: 1\nscenario: s.yaml\n{body}", encoding="utf-8")
    return invoke("batch", spec, "--out", tmp_path / "r.csv", "--backend", "sequential")


# ---- (a) a parameter's value that breaks the scenario: located in the spec --------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "parameters:\n  - path: variables.tension.initial\n    values: [0.5, 7]\n",
            "spec.yaml:5:19: parameters[0].values[1]: the value 7 makes the scenario invalid: "
            "variables.tension: initial 7.0 is outside [0.0, 1.0]",
        ),
        (
            "parameters:\n  - {path: variables.tension.initial, low: 2, high: 3}\n"
            "design: {kind: lhs, points: 2}\n",
            "spec.yaml:4:5: parameters[0]: the value 2.",
        ),
        (
            "parameters:\n  - {path: variables.tensoin.initial, values: [0.5]}\n",
            "parameters[0].path: variables has no 'tensoin' (did you mean 'tension'?)",
        ),
        (
            "parameters:\n  - {path: variables.tension.min, low: 0.05, high: 0.05}\n"
            "  - {path: variables.tension.initial, low: 0.03, high: 0.03}\n"
            "design: {kind: random, points: 2}\n",
            "spec.yaml:4:3: parameters: the design's first point cannot be applied to the "
            "scenario: variables.tension: initial 0.03 is outside [0.05, 1.0]",
        ),
    ],
)
def test_a_value_the_scenario_refuses_is_located_in_the_spec(
    tmp_path: Path, body: str, expected: str
) -> None:
    result = batch(tmp_path, body)
    assert_clean(result, 2)
    assert expected in result.output
    assert "validation error" not in result.output  # pydantic's dump
    assert "input_value" not in result.output


# ---- (b) and (c): probabilities -------------------------------------------------------------


def test_a_bad_probability_expression_is_reported_once(tmp_path: Path) -> None:
    result = invoke("run", write(tmp_path, probability='"tension +* 2"'))
    assert_clean(result, 2)
    assert result.output.count("error:") == 1, result.output
    assert "rules[0].probability: syntax error in 'tension +* 2'" in result.output


@pytest.mark.parametrize(
    ("written", "refused"),
    [
        ('"5"', "probability 5.0 is outside [0, 1]"),
        ('"-0.5"', "probability -0.5 is outside [0, 1]"),
        ('"1e400"', "probability inf is outside [0, 1]"),
        ("5", "probability 5 is outside [0, 1]"),
        ('"0.25"', None),
        ('" 1 "', None),
        ('"tension * 5"', None),  # an expression: clamped to [0, 1] as it is evaluated
    ],
)
def test_a_probability_written_as_text_is_a_number_when_it_is_one(
    tmp_path: Path, written: str, refused: str | None
) -> None:
    result = invoke("run", write(tmp_path, probability=written))
    if refused is None:
        assert_clean(result, 0)
    else:
        assert_clean(result, 2)
        assert f"rules[0].probability: {refused}" in result.output


# ---- (d) booleans where a batch spec wants numbers ------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("replications: true\n", "replications"),
        ("seed: true\n", "seed"),
        ("chunk_size: false\n", "chunk_size"),
        (
            "parameters:\n  - {path: variables.tension.initial, low: true, high: 1, steps: 2}\n",
            "parameters[0].low",
        ),
        (
            "parameters:\n  - {path: variables.tension.initial, low: 0, high: true, steps: 2}\n",
            "parameters[0].high",
        ),
        (
            "parameters:\n  - {path: variables.tension.initial, low: 0, high: 1, steps: true}\n",
            "parameters[0].steps",
        ),
        (
            "parameters:\n  - {path: variables.tension.initial, low: 0, high: 1}\n"
            "design: {kind: lhs, points: true}\n",
            "design.points",
        ),
        (
            "parameters:\n  - {path: variables.tension.initial, low: 0, high: 1}\n"
            "design: {kind: morris, points: 2, levels: true}\n",
            "design.levels",
        ),
    ],
)
def test_a_boolean_is_not_a_number_in_a_batch_spec(tmp_path: Path, body: str, key: str) -> None:
    result = batch(tmp_path, body)
    assert_clean(result, 2)
    assert re.search(
        rf"spec\.yaml:\d+:\d+: {re.escape(key)}: expected a number, not ", result.output
    )


# ---- (e) names Python would read as other names ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [("ｔｅｎｓｉｏｎ > 0.5", 0), ("tension > 0 and ｔension < 1", 16), ("ﬁ > 0", 0)],
)
def test_a_name_in_compatibility_forms_is_refused(text: str, offset: int) -> None:
    with pytest.raises(ExpressionError, match="is written with characters that are read as") as e:
        parse_expression(text)
    assert e.value.offset == offset


def test_a_full_width_name_is_refused_where_it_is_written(tmp_path: Path) -> None:
    for where in ("guard", "probability", "transition"):
        written = '"ｔｅｎｓｉｏｎ"' if where == "probability" else "ｔｅｎｓｉｏｎ > 0"
        path = write(tmp_path, **{where: written})
        result = invoke("run", path)
        assert_clean(result, 2)
        assert "'ｔｅｎｓｉｏｎ'" in result.output
        assert "write 'tension'" in result.output
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", result.output)


def test_names_in_other_scripts_stay_allowed() -> None:
    """Only names that normalisation changes are refused: Greek or accented letters are names."""
    assert parse_expression("τ + café > 0").names == {"τ", "café"}
