"""Unit tests of the guard and probability language (:mod:`simulator.core.expressions`)."""

from __future__ import annotations

import builtins
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import DipsimError, ExpressionError
from simulator.core.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Expression,
    parse_expression,
)

FUNCTION_LIST = "abs, clamp, exp, log, max, min, sqrt"


def refusal(text: str, allowed: frozenset[str] | None = None) -> ExpressionError:
    """Parse ``text`` expecting a refusal, and return the error."""
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, allowed)
    return info.value


# --- accepted syntax and what it evaluates to -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("1 + 2", {}, 3.0),
        ("x - 0.25", {"x": 1.0}, 0.75),
        ("2 * x", {"x": 1.5}, 3.0),
        ("x / 4", {"x": 1.0}, 0.25),
        ("2 ** 3", {}, 8.0),
        ("7 % 4", {}, 3.0),
        ("-x", {"x": 2.0}, -2.0),
        ("+x", {"x": 2.0}, 2.0),
        ("(1 + 2) * 3", {}, 9.0),
        ("0.2 + 0.5 * tension", {"tension": 0.4}, 0.4),
        ("min(3, x, 2)", {"x": 1.0}, 1.0),
        ("max(3, x, 2)", {"x": 1.0}, 3.0),
        ("abs(x)", {"x": -2.5}, 2.5),
        ("clamp(x, 0, 1)", {"x": 1.7}, 1.0),
        ("clamp(x, 0, 1)", {"x": -0.3}, 0.0),
        ("clamp(x, 0, 1)", {"x": 0.3}, 0.3),
        ("exp(0)", {}, 1.0),
        ("log(1)", {}, 0.0),
        ("sqrt(x)", {"x": 9.0}, 3.0),
        ("1 if x > 0 else 2", {"x": 1.0}, 1.0),
        ("1 if x > 0 else 2", {"x": -1.0}, 2.0),
    ],
)
def test_arithmetic_and_functions_evaluate(
    text: str, env: dict[str, float], expected: float
) -> None:
    """Arithmetic, conditional expressions and the named functions compute what Python would."""
    assert parse_expression(text)(env) == pytest.approx(expected)


@pytest.mark.parametrize("function", ["min", "max"])
def test_min_and_max_of_one_argument(function: str) -> None:
    """``min`` and ``max`` of a single argument (accepted: "at least 1") give that argument."""
    assert parse_expression(f"{function}(x)")({"x": 4.0}) == 4.0


def test_exp_and_log_are_the_math_functions() -> None:
    """``exp`` and ``log`` are the natural exponential and logarithm."""
    assert parse_expression("exp(x)")({"x": 1.0}) == pytest.approx(math.e)
    assert parse_expression("log(x)")({"x": math.e}) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("x < 1", {"x": 0.5}, True),
        ("x <= 1", {"x": 1.0}, True),
        ("x > 1", {"x": 1.0}, False),
        ("x >= 1", {"x": 1.0}, True),
        ("x == 1", {"x": 1.0}, True),
        ("x != 1", {"x": 1.0}, False),
        ("0 < x < 1", {"x": 0.5}, True),
        ("0 < x < 1", {"x": 1.0}, False),
        ("0 < x < 1", {"x": 0.0}, False),
        ("0 <= x <= 1 != x", {"x": 0.5}, True),
        ("1 < 2 > x", {"x": 1.5}, True),
        ("1 < 2 > x", {"x": 2.5}, False),
        ("x > 0 and y > 0", {"x": 1.0, "y": 0.0}, False),
        ("x > 0 and y > 0", {"x": 1.0, "y": 1.0}, True),
        ("x > 0 or y > 0", {"x": 0.0, "y": 1.0}, True),
        ("x > 0 or y > 0", {"x": 0.0, "y": 0.0}, False),
        ("not x > 0", {"x": 1.0}, False),
        ("not x > 0", {"x": 0.0}, True),
        ("true", {}, True),
        ("false", {}, False),
        ("True and not False", {}, True),
        ("x > 0 and true", {"x": 1.0}, True),
    ],
)
def test_comparisons_and_logic_evaluate(text: str, env: dict[str, float], expected: bool) -> None:
    """Comparisons (chained ones pairwise, as in Python), ``and``/``or``/``not`` and
    ``true``/``false`` give booleans."""
    result = parse_expression(text)(env)
    assert result is expected


def test_names_are_the_variables_read() -> None:
    """``names`` holds every variable the expression reads, and no function or boolean name."""
    e = parse_expression("max(a, b) > c if d and true else clamp(e, 0, 1) < False")
    assert e.names == frozenset({"a", "b", "c", "d", "e"})
    assert parse_expression("1 + 2").names == frozenset()


def test_expression_keeps_its_text() -> None:
    """An expression remembers its text as written, and prints as it."""
    e = parse_expression("tension >= 0.6")
    assert isinstance(e, Expression)
    assert e.text == "tension >= 0.6"
    assert str(e) == "tension >= 0.6"


def test_allowed_names_accepts_known_variables() -> None:
    """With ``allowed_names``, an expression reading only those names is accepted."""
    e = parse_expression("tension >= trust", frozenset({"tension", "trust"}))
    assert e({"tension": 0.5, "trust": 0.4}) is True


def test_missing_variable_at_evaluation_raises_key_error() -> None:
    """Evaluating against values that lack a variable read raises ``KeyError`` naming it."""
    with pytest.raises(KeyError, match="tension"):
        parse_expression("tension > 0")({})


def test_the_function_whitelist_is_exactly_the_documented_one() -> None:
    """Exactly seven functions may be called: the math helpers the format documents."""
    assert sorted(FUNCTIONS) == FUNCTION_LIST.split(", ")


# --- refusals, with their messages and offsets ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("x.__class__", "attribute access is not allowed in 'x.__class__'", 0),
        ("1 + x.y", "attribute access is not allowed in '1 + x.y'", 4),
        ("lambda: 1", "a lambda is not allowed in 'lambda: 1'", 0),
        ("1 + (lambda: 1)", "a lambda is not allowed in '1 + (lambda: 1)'", 5),
        ("[a for a in b]", "a comprehension is not allowed in '[a for a in b]'", 0),
        ("{a for a in b}", "a comprehension is not allowed in '{a for a in b}'", 0),
        ("max(a for a in b)", "a comprehension is not allowed in 'max(a for a in b)'", 3),
        ("x + y[0]", "indexing is not allowed in 'x + y[0]'", 4),
        ("'abc'", "the constant 'abc' is not allowed in \"'abc'\"", 0),
        ('x + "s"', "the constant 's' is not allowed in 'x + \"s\"'", 4),
        ("x + f'{y}'", "an f-string is not allowed in \"x + f'{y}'\"", 4),
        ("(y := 1)", "assignment is not allowed in '(y := 1)'", 1),
        ("x + (y := 1)", "assignment is not allowed in 'x + (y := 1)'", 5),
        ("max(x, key=1)", "a keyword argument is not allowed in 'max(x, key=1)'", 0),
        ("None", "the constant None is not allowed in 'None'", 0),
        ("1j", "the constant 1j is not allowed in '1j'", 0),
        ("(1, 2)", "a tuple is not allowed in '(1, 2)'", 0),
        ("[1]", "a list is not allowed in '[1]'", 0),
        ("{1: 2}", "a mapping is not allowed in '{1: 2}'", 0),
        ("~x", "the operator '~' is not allowed in '~x'", 0),
        ("x // 2", "the operator FloorDiv is not allowed in 'x // 2'", 0),
        ("x in y", "the comparison In is not allowed in 'x in y'", 0),
        ("x is y", "the comparison Is is not allowed in 'x is y'", 0),
    ],
)
def test_syntax_outside_the_whitelist_is_refused(text: str, message: str, offset: int) -> None:
    """Attribute access, lambdas, comprehensions, indexing, strings, f-strings, assignment,
    keyword arguments, containers and other operators are refused, with the 0-based offset of
    the offending node."""
    err = refusal(text)
    assert str(err) == message
    assert err.offset == offset


@pytest.mark.parametrize(
    ("text", "name", "offset"),
    [
        ("__import__('os')", "__import__", 0),
        ("eval('1')", "eval", 0),
        ("open('f')", "open", 0),
        ("exec('x = 1')", "exec", 0),
        ('1 + open("f")', "open", 4),
        ("getattr(x, 'y')", "getattr", 0),
    ],
)
def test_calls_to_names_outside_the_whitelist_are_refused(
    text: str, name: str, offset: int
) -> None:
    """Calling any name but the whitelisted functions is refused, and the message lists the
    functions that may be called."""
    err = refusal(text)
    assert str(err) == (f"calling {name!r} is not allowed in {text!r}; functions: {FUNCTION_LIST}")
    assert err.offset == offset


def test_misspelt_function_gets_did_you_mean() -> None:
    """A misspelt function name is refused with a suggestion of the right one."""
    err = refusal("sqrtt(x)")
    assert str(err) == (
        "calling 'sqrtt' is not allowed in 'sqrtt(x)' (did you mean 'sqrt'?); "
        f"functions: {FUNCTION_LIST}"
    )


def test_calling_a_method_is_refused_as_attribute_access() -> None:
    """Calling a method (``os.system(...)``) is refused as attribute access, in plain words."""
    err = refusal("__import__('os').system('ls')")
    assert str(err) == ("attribute access is not allowed in \"__import__('os').system('ls')\"")
    assert err.offset == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abs(1, 2)", "abs() takes 1 argument(s), got 2 in 'abs(1, 2)'"),
        ("clamp(1)", "clamp() takes 3 argument(s), got 1 in 'clamp(1)'"),
        ("x + clamp(1, 2)", "clamp() takes 3 argument(s), got 2 in 'x + clamp(1, 2)'"),
        ("sqrt()", "sqrt() takes 1 argument(s), got 0 in 'sqrt()'"),
        ("min()", "min() takes at least 1 argument(s), got 0 in 'min()'"),
        ("max()", "max() takes at least 1 argument(s), got 0 in 'max()'"),
    ],
)
def test_wrong_number_of_arguments_is_refused(text: str, message: str) -> None:
    """A whitelisted function called with the wrong number of arguments is refused."""
    assert str(refusal(text)) == message


def test_unknown_variable_gets_did_you_mean() -> None:
    """With ``allowed_names``, an unknown variable is refused with a suggestion, the list of
    variables, and its offset."""
    err = refusal("x + tensoin > 1", frozenset({"x", "tension", "trust"}))
    assert str(err) == (
        "unknown variable 'tensoin' in 'x + tensoin > 1' (did you mean 'tension'?); "
        "variables: tension, trust, x"
    )
    assert err.offset == 4


def test_unknown_variable_with_no_variables_declared() -> None:
    """With no variables allowed at all, the message says so."""
    assert str(refusal("x > 1", frozenset())) == "unknown variable 'x' in 'x > 1'; variables: none"


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_is_refused(text: str) -> None:
    """Empty or blank text is not an expression."""
    err = refusal(text)
    assert str(err) == "empty expression"
    assert err.offset is None


def test_non_text_is_refused() -> None:
    """Only text is parsed; anything else is refused with its value quoted."""
    with pytest.raises(ExpressionError, match=r"^expected an expression as text, got 0\.5$"):
        parse_expression(0.5)  # type: ignore[arg-type]


def test_text_up_to_max_length_is_accepted() -> None:
    """Text exactly MAX_LENGTH characters long is accepted."""
    text = "x" * MAX_LENGTH
    assert parse_expression(text).names == frozenset({text})


def test_over_long_text_is_refused() -> None:
    """Text longer than MAX_LENGTH characters is refused before it is parsed."""
    err = refusal("x" * (MAX_LENGTH + 1))
    assert str(err) == (
        f"expression {'x' * 37 + '...'!r} is {MAX_LENGTH + 1} characters long (limit {MAX_LENGTH})"
    )


def test_integer_too_large_for_a_float_is_refused() -> None:
    """An integer literal beyond floating point is refused, not an OverflowError."""
    err = refusal("x > " + "9" * 400)
    assert str(err).startswith("the number 999999999999... (400 digits) is too large for floating")


def test_messages_quote_long_expressions_shortened() -> None:
    """A message quotes at most 80 characters of the expression."""
    err = refusal("max(" + "x, " * 100 + "x.y)")
    assert str(err) == f"attribute access is not allowed in {('max(' + 'x, ' * 30)[:77] + '...'!r}"


def test_nesting_up_to_max_depth_is_accepted() -> None:
    """A syntax tree exactly MAX_DEPTH nodes deep is accepted."""
    text = "-" * (MAX_DEPTH - 1) + "x"
    assert parse_expression(text)({"x": 1.0}) == (-1.0) ** (MAX_DEPTH - 1)


def test_over_deep_nesting_is_refused() -> None:
    """A syntax tree deeper than MAX_DEPTH is refused, naming the limit."""
    text = "-" * MAX_DEPTH + "x"
    assert str(refusal(text)) == (f"expression {text!r} is nested too deeply (limit {MAX_DEPTH})")


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("1 2", "syntax error in '1 2': invalid syntax", 2),
        ("x +* 2", "syntax error in 'x +* 2': invalid syntax", 3),
        ("x if y", "syntax error in 'x if y': expected 'else' after 'if' expression", 0),
    ],
)
def test_syntax_error_is_refused(text: str, message: str, offset: int) -> None:
    """Text Python cannot parse is refused as a syntax error, with its offset."""
    err = refusal(text)
    assert str(err) == message
    assert err.offset == offset


def test_offsets_count_leading_whitespace() -> None:
    """Offsets are positions in the text as written, leading spaces included."""
    assert refusal("  x.y").offset == 2
    assert refusal("  1 2").offset == 4


def test_expression_error_is_a_dipsim_error() -> None:
    """Refusals derive from dipsim's root error, so the CLI reports them as bad input."""
    assert isinstance(refusal("x.y"), DipsimError)


# --- the text is never run --------------------------------------------------------------------


def test_hostile_guard_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    """A guard that would run a shell command is refused, and the command never runs."""
    marker = tmp_path / "pwned"
    text = f"__import__('os').system('touch {marker}')"
    refusal(text)
    assert not marker.exists()


def test_text_is_never_given_to_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing and evaluating expressions never calls ``eval`` or ``exec``."""
    calls: list[str] = []

    def spy(name: str) -> Any:
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return called

    monkeypatch.setattr(builtins, "eval", spy("eval"))
    monkeypatch.setattr(builtins, "exec", spy("exec"))
    e = parse_expression("clamp(0.2 + 0.5 * tension, 0, 1) if tension > 0.1 else 0")
    assert e({"tension": 0.4}) == pytest.approx(0.4)
    for hostile in ("__import__('os')", "eval('1')", "x.__class__"):
        with pytest.raises(ExpressionError):
            parse_expression(hostile)
    assert calls == []


def test_expressions_pickle_to_the_same_function() -> None:
    """An expression survives pickling (scenarios travel to worker processes that way) and
    evaluates the same afterwards."""
    import pickle

    expr = parse_expression("clamp(x * 2, 0, 1) >= 0.5 and not y")
    again = pickle.loads(pickle.dumps(expr))
    assert again == expr
    for env in ({"x": 0.1, "y": 0.0}, {"x": 0.3, "y": 0.0}, {"x": 0.3, "y": 1.0}):
        assert again(env) == expr(env)


# --- binding constants: the template path against a fresh parse --------------------------------

_NAMES = ("a", "b", "p", "q")
_atoms = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(("0", "1", "0.5", "2.25", "true", "false")),
)


def _grown(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        st.builds(lambda t, op: f"({t[0]} {op} {t[1]})", pair, st.sampled_from("+-*/%")),
        st.builds(
            lambda t, op: f"({t[0]} {op} {t[1]})",
            pair,
            st.sampled_from(("<", "<=", ">", ">=", "==", "!=", "and", "or")),
        ),
        st.builds(lambda t: f"({t[0]} < {t[1]} <= 1)", pair),
        st.builds(lambda x: f"(not {x})", inner),
        st.builds(lambda x: f"(-{x})", inner),
        st.builds(lambda t, c: f"({t[0]} if {c} else {t[1]})", pair, inner),
        st.builds(lambda t, f: f"{f}({t[0]}, {t[1]})", pair, st.sampled_from(("min", "max"))),
        st.builds(lambda x: f"abs({x})", inner),
    )


_texts = st.recursive(_atoms, _grown, max_leaves=8)
_numbers = st.floats(-3, 3, allow_nan=False)


@given(
    text=_texts,
    first=st.dictionaries(st.sampled_from(_NAMES), _numbers),
    second=st.dictionaries(st.sampled_from(_NAMES), _numbers),
    env=st.fixed_dictionaries(dict.fromkeys(_NAMES, _numbers)),
)
def test_binding_constants_is_parsing_with_them(
    text: str, first: dict[str, float], second: dict[str, float], env: dict[str, float]
) -> None:
    """``bind`` builds from the text's template what a parse with the constants compiles: the
    same expression (text, names, what was bound), evaluating as the text does with the
    constants' values given as variables — bound to one set of values, then the written
    expression bound to others, as a design point does."""
    written = parse_expression(text)
    for bound, constants in ((written.bind(first), first), (written.bind(second), second)):
        fresh = parse_expression(text, constants=constants) if constants else written
        assert bound == fresh
        assert bound.names == fresh.names
        assert _outcome(bound, env) == _outcome(fresh, env)
        # And as the text reads with the constants' values among the variables.
        assert _outcome(bound, env) == _outcome(written, {**env, **constants})


def _outcome(expr: Expression, env: dict[str, float]) -> Any:
    try:
        return expr(env)
    except (ArithmeticError, ValueError, TypeError) as err:
        return type(err)
