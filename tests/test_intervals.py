"""Guards as sets of values (``simulator.check.intervals``): exact regions, what is left undecided,
the widening at computed boundaries, and agreement with evaluating the guard."""

from __future__ import annotations

import ast
import math

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from simulator.check.intervals import (
    EMPTY,
    FALSE,
    FULL,
    TRUE,
    UNKNOWN,
    Approx,
    Guards,
    Region,
    Span,
    contains,
    may_overlap,
    surely_overlap,
)
from simulator.core.expressions import parse_expression

#: Two variables in [0, 1] and one parameter, as in tests/test_analysis.py's scenario.
GUARDS = Guards({"tension": (0.0, 1.0), "trust": (0.0, 1.0)}, {"limit": 1.0})


def tension(*spans: Span) -> Region:
    """The region that constrains ``tension`` to ``spans`` (and nothing else)."""
    return ((("tension", spans),),)


def exactly(region: Region) -> Approx:
    return Approx(region, region)


def closed(lo: float, hi: float) -> Span:
    return Span(lo, hi, True, True)


# --- Decisions on guards (the cases tests/test_analysis.py turns into findings) ---------------


@pytest.mark.parametrize(
    "guard",
    [
        "tension > 1.5",
        "tension > 1",
        "1 < tension",
        "-tension > 0",
        "2 * tension - 3 > 0",
        "(tension + 1) / 2 > 1.5",
        "0.5 < tension < 0.2",
        "tension > 0.8 and tension < 0.2",
        "tension > 0.8 and trust > 2",
        "not (tension <= 1)",
        "tension > 1.5 or trust < -1",
        "tension == 2",
        "tension > limit",
        "false",
        "(tension > 2) if trust > 0.5 else (tension < -1)",
    ],
)
def test_never_holds(guard: str) -> None:
    a = GUARDS.approx(guard)
    assert GUARDS.never(a)
    assert a.over == EMPTY
    assert not GUARDS.always(a)


@pytest.mark.parametrize(
    "guard",
    [
        "tension >= 0",
        "0 <= tension <= 1",
        "tension <= 1 or tension > 5",
        "not (tension > 1)",
        "true",
        "tension < 0.5 or tension >= 0.5",
        "tension != 2",
        "tension + 1",
    ],
)
def test_always_holds(guard: str) -> None:
    a = GUARDS.approx(guard)
    assert GUARDS.always(a)
    assert not GUARDS.never(a)


@pytest.mark.parametrize(
    "guard",
    [
        "tension >= 0.6",
        "tension < 0.5 and trust > 0.2",
        "tension == 1",
        "tension != 0",
        # Undecidable here (two variables, or not linear): may hold, so neither, even where a
        # cleverer analysis would see that they never (or always) hold.
        "tension * tension > 2",
        "max(tension, 0) > 2",
        "tension > trust + 2",
        "abs(tension) >= 0",
        "tension / trust > 0",
    ],
)
def test_possible_or_undecidable_guards_are_neither(guard: str) -> None:
    a = GUARDS.approx(guard)
    assert not GUARDS.never(a)
    assert not GUARDS.always(a)


def test_guard_boundaries_are_exact() -> None:
    assert GUARDS.never(GUARDS.approx("tension > 1"))
    assert not GUARDS.never(GUARDS.approx("tension >= 1"))
    assert GUARDS.always(GUARDS.approx("tension >= 0"))
    assert not GUARDS.always(GUARDS.approx("tension > 0"))


# --- Exact regions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guard", "spans"),
    [
        ("tension > 0.5", (Span(0.5, 1.0, False, True),)),
        ("tension >= 0.5", (closed(0.5, 1.0),)),
        ("tension < 0.5", (Span(0.0, 0.5, True, False),)),
        ("tension <= 0.5", (closed(0.0, 0.5),)),
        ("tension == 0.5", (closed(0.5, 0.5),)),
        ("tension != 0.5", (Span(0.0, 0.5, True, False), Span(0.5, 1.0, False, True))),
        ("tension >= 1", (closed(1.0, 1.0),)),
        ("tension <= -0", (closed(0.0, 0.0),)),
        # Mirrored, negated, and both sides plain: still exact.
        ("0.5 < tension", (Span(0.5, 1.0, False, True),)),
        ("0.5 >= tension", (closed(0.0, 0.5),)),
        ("-tension > -0.5", (Span(0.0, 0.5, True, False),)),
        ("+tension > 0.5", (Span(0.5, 1.0, False, True),)),
        ("tension > -tension", (Span(0.0, 1.0, False, True),)),
        # Chained comparisons: every link holds.
        ("0.2 < tension <= 0.6", (Span(0.2, 0.6, False, True),)),
        ("0 < tension < 0.5 < 2", (Span(0.0, 0.5, False, False),)),
        ("1 >= tension == 1", (closed(1.0, 1.0),)),
        # Parameters and expressions of constants are constants, computed as the engine does.
        ("tension > limit / 2", (Span(0.5, 1.0, False, True),)),
        ("tension >= 2 ** -1 + 0 * limit", (closed(0.5, 1.0),)),
        ("tension < limit", (Span(0.0, 1.0, True, False),)),
        # A number used as a condition holds where it is not zero.
        ("tension", (Span(0.0, 1.0, False, True),)),
        ("not (tension <= 0.5)", (Span(0.5, 1.0, False, True),)),
        ("not (tension > 0.5)", (closed(0.0, 0.5),)),
        ("not not (tension > 0.5)", (Span(0.5, 1.0, False, True),)),
        ("tension > 0.2 and tension <= 0.6", (Span(0.2, 0.6, False, True),)),
    ],
)
def test_exact_region_of_one_variable(guard: str, spans: tuple[Span, ...]) -> None:
    assert GUARDS.approx(guard) == exactly(tension(*spans))


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        ("true", TRUE),
        ("True", TRUE),
        ("false", FALSE),
        ("1", TRUE),
        ("0", FALSE),
        ("limit - 1", FALSE),
        ("2 > limit", TRUE),
        ("tension > 2", FALSE),
        ("tension <= 1", exactly(tension(closed(0.0, 1.0)))),
        ("tension > tension", FALSE),
        ("tension - tension >= 0", TRUE),
        (None, TRUE),
    ],
)
def test_constant_guards(guard: str | None, expected: Approx) -> None:
    assert GUARDS.approx(guard) == expected


def test_or_is_a_union_of_boxes() -> None:
    below, above = tension(Span(0.0, 0.2, True, False)), tension(Span(0.8, 1.0, False, True))
    assert GUARDS.approx("tension > 0.8 or tension < 0.2") == exactly(below + above)


def test_and_of_two_variables_is_one_box() -> None:
    box = (("tension", (Span(0.5, 1.0, False, True),)), ("trust", (Span(0.0, 0.2, True, False),)))
    assert GUARDS.approx("trust < 0.2 and tension > 0.5") == exactly((box,))


def test_not_of_a_box_of_two_variables() -> None:
    # not (tension > 0.5 and trust < 0.2) = tension <= 0.5 or trust >= 0.2
    low = tension(closed(0.0, 0.5))
    trusting: Region = ((("trust", (closed(0.2, 1.0),)),),)
    assert GUARDS.approx("not (tension > 0.5 and trust < 0.2)") == exactly(low + trusting)


def test_conditional_expression() -> None:
    """``a if c else b`` holds where c and a hold, or where c does not and b does."""
    a = GUARDS.approx("(tension > 0.5) if trust > 0.5 else (tension < 0.2)")
    high = Span(0.5, 1.0, False, True)
    when = (("tension", (high,)), ("trust", (high,)))
    otherwise = (("tension", (Span(0.0, 0.2, True, False),)), ("trust", (closed(0.0, 0.5),)))
    assert a == exactly(tuple(sorted([when, otherwise])))


def test_linear_expressions_are_solved_with_a_widened_boundary() -> None:
    """``2 * tension - 0.1 > 0`` is tension > 0.05; the engine computes 2 * tension - 0.1 with
    rounding, so ``over`` starts 1e-9 below 0.05 (closed) and ``under`` 1e-9 above it (open)."""
    a = GUARDS.approx("2 * tension - 0.1 > 0")
    assert a.over == tension(closed(0.05 - 1e-9, 1.0))
    assert a.under == tension(Span(0.05 + 1e-9, 1.0, False, True))
    # The slack is 1e-9 of the largest term, in units of the variable (at least 1e-9): for
    # (tension + 1) / 2 >= 0.75, i.e. 0.5 * tension + 0.5 >= 0.75, that is 0.75 / 0.5 = 1.5.
    for guard, slack in [
        ("(tension + 1) / 2 >= 0.75", 1.5e-9),
        ("1 - tension <= 0.5", 1e-9),
        ("0.5 * tension + 0.25 >= 0.5", 1e-9),
        ("3 * tension >= tension + 1", 1e-9),
        ("tension * 4 - tension >= 1.5", 1e-9),
        ("2 * tension >= limit", 1e-9),
    ]:
        a = GUARDS.approx(guard)
        assert a.over == tension(closed(0.5 - slack, 1.0)), guard
        assert a.under == tension(Span(0.5 + slack, 1.0, False, True)), guard


def test_widening_of_equality_and_inequality() -> None:
    k = 0.25
    assert GUARDS.approx("2 * tension == 0.5") == Approx(tension(closed(k - 1e-9, k + 1e-9)), EMPTY)
    assert GUARDS.approx("2 * tension != 0.5") == Approx(
        tension(closed(0.0, 1.0)),
        tension(Span(0.0, k - 1e-9, True, False), Span(k + 1e-9, 1.0, False, True)),
    )
    # A bare linear expression as a condition: "not zero", widened the same way.
    assert GUARDS.approx("tension - 0.5") == Approx(
        tension(closed(0.0, 1.0)),
        tension(Span(0.0, 0.5 - 1e-9, True, False), Span(0.5 + 1e-9, 1.0, False, True)),
    )


def test_widening_is_relative_to_the_largest_term() -> None:
    big = Guards({"x": (0.0, 1e6)})
    a = big.approx("2 * x > 1e6")
    slack = 1e-9 * 5e5
    assert a.over == ((("x", (closed(5e5 - slack, 1e6),)),),)
    assert a.under == ((("x", (Span(5e5 + slack, 1e6, False, True),)),),)
    # A plain comparison is exact however large its numbers.
    assert big.approx("x > 5e5") == exactly(((("x", (Span(5e5, 1e6, False, True),)),),))


def test_a_boundary_at_the_bound_is_decided_in_the_safe_direction() -> None:
    """``2 * tension > 2`` is empty in exact arithmetic, but the engine's rounding might make it
    hold at tension = 1: it is not reported as never holding; ``2 * tension >= 0`` likewise is
    not reported as always holding."""
    a = GUARDS.approx("2 * tension > 2")
    assert a == Approx(tension(closed(1.0 - 1e-9, 1.0)), EMPTY)
    assert not GUARDS.never(a)
    assert not GUARDS.always(GUARDS.approx("2 * tension >= 0"))


# --- Undecided --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "guard",
    [
        "tension > trust",
        "tension - trust > 0.5",
        "tension * trust > 0.5",
        "tension * tension > 0.5",
        "tension / trust > 0",
        "max(tension, 0) > 0.5",
        "abs(tension) >= 0",
        "tension ** 2 > 0.5",
        "tension % 1 > 0.5",
        "tension > unknown_name",
        "tension > 1 / 0",
        "tension > 1e308 * 10",
        "0.1 * tension * 3 - 0.3 * tension > 0",
        "tension in 1",
        "tension >",
        "(tension > 0.5) == true",
    ],
)
def test_unknown(guard: str) -> None:
    a = GUARDS.approx(guard)
    assert a == UNKNOWN
    assert a.over == FULL
    assert a.under == EMPTY


def test_an_unknown_part_keeps_what_is_known() -> None:
    part = tension(Span(0.5, 1.0, False, True))
    assert GUARDS.approx("tension > 0.5 and tension > trust") == Approx(part, EMPTY)
    either = GUARDS.approx("tension > 0.5 or tension > trust")
    assert either.under == part
    assert () in either.over  # the box that constrains nothing: everything
    assert GUARDS.approx("not (tension > trust)") == UNKNOWN


def test_the_bounds_come_from_the_caller() -> None:
    wide = Guards({"tension": (-1.0, 2.0)})
    assert wide.approx("tension > 1") == exactly(tension(Span(1.0, 2.0, False, True)))
    assert not wide.never(wide.approx("tension > 1"))
    # A name that is not a variable (nor a parameter) is not a number the guard can be solved for.
    assert wide.approx("trust > 1") == UNKNOWN


# --- Operations on approximations -------------------------------------------------------------


def test_contains() -> None:
    region = GUARDS.approx("0.2 < tension <= 0.6 and trust >= 0.5").over
    assert contains(region, {"tension": 0.6, "trust": 0.5})
    assert not contains(region, {"tension": 0.2, "trust": 0.5})
    assert not contains(region, {"tension": 0.4, "trust": math.nextafter(0.5, 0.0)})
    assert contains(FULL, {})
    assert not contains(EMPTY, {"tension": 0.5})


def test_overlaps() -> None:
    high, low = GUARDS.approx("tension > 0.5"), GUARDS.approx("tension <= 0.5")
    higher = GUARDS.approx("tension > 0.7")
    assert not may_overlap(high, low)
    assert not surely_overlap(high, low)
    assert may_overlap(high, higher)
    assert surely_overlap(high, higher)
    # Undecided: may overlap anything that can hold, surely overlaps nothing.
    assert may_overlap(UNKNOWN, low)
    assert not surely_overlap(UNKNOWN, low)
    assert not may_overlap(FALSE, TRUE)
    assert surely_overlap(TRUE, low)


def test_covers() -> None:
    """``covers(a, b)``: a surely holds wherever b may, so b declared after a never wins."""
    low, lower = GUARDS.approx("tension > 0.3"), GUARDS.approx("tension > 0.5")
    assert GUARDS.covers(low, lower)
    assert not GUARDS.covers(lower, low)
    assert GUARDS.covers(TRUE, UNKNOWN)
    assert not GUARDS.covers(UNKNOWN, lower)
    assert GUARDS.covers(low, FALSE)
    assert GUARDS.covers(GUARDS.approx("tension >= 0"), TRUE)


# --- Against evaluation -----------------------------------------------------------------------

_NUMBERS = st.sampled_from([-1.0, -0.5, 0.0, 0.2, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0])


@st.composite
def _atom(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
    left = draw(
        st.sampled_from(["x", "-x", "2 * x", "x / 2 + 0.25", "1 - x", "0.1 * x + 0.2", "y"])
    )
    k = draw(_NUMBERS)
    if draw(st.booleans()):
        return f"{left} {op} {k}"
    return f"{k} {op} {left}" if draw(st.booleans()) else f"{k} {op} {left} {op} {draw(_NUMBERS)}"


_TWO_VARIABLE_GUARDS = st.recursive(
    _atom(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({' '.join(t)})"),
        inner.map(lambda g: f"not ({g})"),
    ),
    max_leaves=4,
)


@given(_TWO_VARIABLE_GUARDS, st.sampled_from([(0.0, 1.0), (0.5, 0.5), (-1.0, 2.0), (0.2, 0.75)]))
def test_never_and_always_agree_with_evaluation(guard: str, bounds: tuple[float, float]) -> None:
    """A guard decided never to hold is false at every value tried within the bounds, one
    decided always to hold is true at every one (the bounds, the constants, points between)."""
    lo, hi = bounds
    guards = Guards({"x": bounds, "y": bounds})
    a = guards.approx(guard)
    expression = parse_expression(guard)
    grid = {lo, hi, *(lo + (hi - lo) * i / 16 for i in range(17))}
    grid |= {
        v for v in (-1.0, -0.5, 0.0, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0) if lo <= v <= hi
    }
    grid |= {math.nextafter(v, d) for v in set(grid) for d in (lo, hi)}
    values = {bool(expression({"x": x, "y": y})) for x in grid for y in grid}
    note(f"never={guards.never(a)} always={guards.always(a)} {values}")
    if guards.never(a):
        assert values == {False}
    if guards.always(a):
        assert values == {True}


#: Constants of the single-variable grammar: numbers, the parameter, expressions of them.
_CONSTANTS = st.sampled_from(
    ["-1", "0", "0.2", "0.5", "0.75", "1", "1.5", "3", "limit", "limit / 2", "2 * limit - 1"]
)
#: Linear expressions of the one variable ``x`` (two sides whose coefficients cancel exactly are
#: decided only when their constants differ by more than rounding: see
#: test_cancelled_coefficients_respect_rounding).
_LINEAR = st.sampled_from(
    [
        "x",
        "-x",
        "+x",
        "2 * x",
        "x / 2 + 0.25",
        "1 - x",
        "0.1 * x + 0.2",
        "(x - limit) * 5",
        "x * 4 - x",
        "-(x + 0.5) / 3",
        "limit * x",
    ]
)
_OPS = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
_SIDE = st.one_of(_LINEAR, _CONSTANTS)


@st.composite
def _comparison(draw: st.DrawFn) -> str:
    parts = [draw(_LINEAR if draw(st.booleans()) else _SIDE)]
    for _ in range(draw(st.integers(1, 3))):  # chained when more than one
        parts += [draw(_OPS), draw(_SIDE)]
    return " ".join(parts)


_CONDITIONS = st.one_of(
    _comparison(), _comparison(), _comparison(), _LINEAR, st.sampled_from(["true", "false"])
)
_ONE_VARIABLE_GUARDS = st.recursive(
    _CONDITIONS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({' '.join(t)})"),
        inner.map(lambda g: f"not ({g})"),
        st.tuples(inner, inner, inner).map(lambda t: f"(({t[0]}) if ({t[1]}) else ({t[2]}))"),
    ),
    max_leaves=5,
)
_BOUNDS = st.sampled_from([(0.0, 1.0), (0.5, 0.5), (-1.0, 2.0), (0.2, 0.75), (-3.0, -1.0)])


def _ends(region: Region) -> set[float]:
    return {end for box in region for _, spans in box for s in spans for end in (s.lo, s.hi)}


def _boundaries(guard: str, parameters: dict[str, float]) -> set[float]:
    """Where the guard or any part of it may change value: the finite ends of the regions of
    each of its sub-expressions, read without bounds (a boundary of a part can vanish from the
    whole, yet still make the whole undecided near it)."""
    unbounded = Guards({"x": (-math.inf, math.inf)}, parameters)
    parts = (
        ast.unparse(n) for n in ast.walk(ast.parse(guard, mode="eval")) if isinstance(n, ast.expr)
    )
    regions = (r for part in parts for r in unbounded.approx(part))
    return {end for region in regions for end in _ends(region) if math.isfinite(end)}


def _has_unknown_part(guard: str, parameters: dict[str, float]) -> bool:
    """Whether a comparison in ``guard`` (each link of a chain on its own) is unknown."""
    guards = Guards({"x": (-math.inf, math.inf)}, parameters)
    links = (
        ast.unparse(ast.Compare(left, [op], [right]))
        for n in ast.walk(ast.parse(guard, mode="eval"))
        if isinstance(n, ast.Compare)
        for left, op, right in zip([n.left, *n.comparators], n.ops, n.comparators, strict=False)
    )
    return any(guards.approx(link) == UNKNOWN for link in links)


@given(
    _ONE_VARIABLE_GUARDS,
    _BOUNDS,
    st.sampled_from([0.0, 0.5, 1.0]),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20),
)
def test_value_in_region_agrees_with_evaluation(
    guard: str, bounds: tuple[float, float], limit: float, fractions: list[float]
) -> None:
    """For a guard of one variable in the supported grammar, a value within the bounds is in the
    region exactly when the compiled guard holds there — but within 1e-6 of the boundaries of
    its regions (or of its parts'), where the widening (and rounding) may put it on either side.
    Everywhere, even there, ``under`` only holds values where the guard holds and ``over`` all
    of them."""
    lo, hi = bounds
    a = Guards({"x": bounds}, {"limit": limit}).approx(guard)
    expression = parse_expression(guard, constants={"limit": limit})
    ends = _boundaries(guard, {"limit": limit})
    # A comparison whose variable cancels between the sides (``x < limit * x`` at limit 1) is
    # left unknown on purpose (the engine rounds each side its own way): no exactness there.
    exact = not _has_unknown_part(guard, {"limit": limit})
    note(f"{a}, boundaries {sorted(ends)}, exact {exact}")
    near = {v for e in ends for v in (e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf))}
    inside = {v for v in near if lo <= v <= hi}
    for value in {lo, hi, *inside, *(min(hi, lo + (hi - lo) * f) for f in fractions)}:
        holds = bool(expression({"x": value}))
        point = {"x": value}
        note(f"x={value!r}: {holds}")
        if contains(a.under, point):
            assert holds
        if not contains(a.over, point):
            assert not holds
        if exact and all(abs(value - end) > 1e-6 for end in ends):
            assert contains(a.over, point) == contains(a.under, point) == holds


def test_cancelled_coefficients_respect_rounding() -> None:
    """x * 3 - x is 0.20000000000000004 at x = 0.1 and 2 * x is 0.2: the guard can hold, so it
    must not be reported as never holding (nor as always holding)."""
    guard = "tension * 3 - tension > 2 * tension"
    assert parse_expression(guard)({"tension": 0.1})
    assert not GUARDS.never(GUARDS.approx(guard))
