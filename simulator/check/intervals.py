"""Guards as sets of values: where a guard can hold, and where it surely holds, within bounds.

A guard is read from its syntax tree (parsed, never evaluated) as a :data:`Region` — a union of
boxes, each box a union of intervals per variable — within each variable's ``[min, max]`` (the
engine clamps every value to them). :class:`Guards` gives every guard an :class:`Approx`: an
over-approximation (``over``: every value where the guard may hold) and an under-approximation
(``under``: only values where it surely holds). On these it decides whether a guard can never
hold (``over`` is empty), always holds (``under`` covers the bounds), whether two guards may or
surely can hold at once, and whether one holds wherever another may.

What is decided (``over`` and ``under`` agree, but for the widening below):

- ``true``/``false``; comparisons, chained too, between constants and a linear expression of
  *one* variable (``2 * tension - 0.1 > 0``), where a constant is a number, a parameter or any
  expression of them the expression language computes (``limit / 2``);
- a bare number or variable used as a condition (true when non-zero);
- ``and``, ``or``, ``not`` and ``a if c else b`` of the above.

What is over-approximated (counted as "may or may not hold": ``over`` is everything, ``under``
nothing): a comparison of two variables, ``min``/``max``/``abs``/... of a variable, a product of
two variables, anything the expression language refuses, and a coefficient that cancels to
rounding noise (``0.1 * x * 3 - 0.3 * x``). A region that would need more than 64 boxes gives
up the same way, in the safe direction (``over`` grows, ``under`` shrinks).

A comparison whose constant had to be computed (``2 * x > 1``) is widened by a relative 1e-9 at
its boundary — ``over`` reaches past it, ``under`` stops short of it — so that floating-point
rounding in the engine cannot turn the answer around. A comparison of a plain variable (or its
negation) with a constant is exact to the last bit. When the variable's coefficients on the two
sides cancel exactly (``x * 3 - x > 2 * x``), the comparison is decided on the constants only if
they differ by more than rounding could; otherwise it is unknown.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from functools import reduce
from typing import NamedTuple

from simulator.core.errors import ExpressionError
from simulator.core.expressions import parse_expression

# --- Sets of values: intervals, boxes, regions ------------------------------------------------


class Span(NamedTuple):
    """An interval of numbers; ``lo_in``/``hi_in`` say whether the ends belong to it."""

    lo: float
    hi: float
    lo_in: bool
    hi_in: bool


#: A union of disjoint, non-empty spans in increasing order.
Spans = tuple[Span, ...]
#: A box: one set per variable it constrains (sorted by name); other variables are unconstrained.
Box = tuple[tuple[str, Spans], ...]
#: A union of boxes; ``()`` is empty and ``((),)`` is everything.
Region = tuple[Box, ...]
#: Each variable's ``(min, max)``; the names of these are the guards' variables.
Bounds = Mapping[str, tuple[float, float]]

EMPTY: Region = ()
FULL: Region = ((),)
#: Regions are unions of boxes, which ``and`` and ``not`` multiply; past this many boxes an
#: operation gives up (and its caller falls back to a safe approximation).
_MAX_BOXES = 64
_ALL = Span(-math.inf, math.inf, False, False)


def contains(region: Region, values: Mapping[str, float]) -> bool:
    """Whether the point ``values`` (one value per variable the region constrains) is in it."""
    return any(
        all(any(_holds_value(s, values[name]) for s in spans) for name, spans in box)
        for box in region
    )


def _holds_value(s: Span, x: float) -> bool:
    return (s.lo < x or (s.lo_in and s.lo == x)) and (x < s.hi or (s.hi_in and x == s.hi))


def _is_empty(s: Span) -> bool:
    return s.lo > s.hi or (s.lo == s.hi and not (s.lo_in and s.hi_in))


def _meet(a: Span, b: Span) -> Span:
    # The higher lower end wins (open on a tie), the lower upper end wins (open on a tie).
    lo = max(a, b, key=lambda s: (s.lo, not s.lo_in))
    hi = min(a, b, key=lambda s: (s.hi, s.hi_in))
    return Span(lo.lo, hi.hi, lo.lo_in, hi.hi_in)


def _normalise(spans: Iterable[Span]) -> Spans:
    ordered = sorted((s for s in spans if not _is_empty(s)), key=lambda s: (s.lo, not s.lo_in))
    out: list[Span] = []
    for s in ordered:
        last = out[-1] if out else None
        if last is not None and (s.lo < last.hi or (s.lo == last.hi and (last.hi_in or s.lo_in))):
            hi = max(last, s, key=lambda x: (x.hi, x.hi_in))
            out[-1] = Span(last.lo, hi.hi, last.lo_in, hi.hi_in)
        else:
            out.append(s)
    return tuple(out)


def _set_meet(a: Spans, b: Spans) -> Spans:
    return _normalise(_meet(x, y) for x in a for y in b)


def _complement(spans: Spans, domain: Span) -> Spans:
    gaps: list[Span] = []
    lo, lo_in = -math.inf, False
    for s in spans:
        gaps.append(Span(lo, s.lo, lo_in, not s.lo_in))
        lo, lo_in = s.hi, not s.hi_in
    gaps.append(Span(lo, math.inf, lo_in, False))
    return _normalise(_meet(g, domain) for g in gaps)


def _box_meet(a: Box, b: Box) -> Box | None:
    merged = dict(a)
    for name, spans in b:
        met = _set_meet(merged[name], spans) if name in merged else spans
        if not met:
            return None
        merged[name] = met
    return tuple(sorted(merged.items()))


def _region_and(a: Region, b: Region) -> Region | None:
    boxes = {m for x in a for y in b if (m := _box_meet(x, y)) is not None}
    return tuple(sorted(boxes)) if len(boxes) <= _MAX_BOXES else None


def _region_or(a: Region, b: Region) -> Region | None:
    boxes = set(a) | set(b)
    return tuple(sorted(boxes)) if len(boxes) <= _MAX_BOXES else None


def _region_not(r: Region, domains: Mapping[str, Span]) -> Region | None:
    # not (B1 or B2 ...) = not B1 and not B2 ...; not B = (x outside B's x) or (y outside ...).
    out: Region | None = FULL
    for box in r:
        outside = tuple(
            ((name, rest),)
            for name, spans in box
            if (rest := _complement(spans, domains.get(name, _ALL)))
        )
        out = _region_and(out, outside) if out is not None else None
    return out


# --- Guards as two regions --------------------------------------------------------------------


class Approx(NamedTuple):
    """A guard as two regions: ``over`` holds every value where the guard may hold, ``under``
    only values where it surely holds (``under`` ⊆ the guard's true set ⊆ ``over``)."""

    over: Region
    under: Region


#: Holds everywhere (``true``, or no guard at all).
TRUE = Approx(FULL, FULL)
#: Holds nowhere.
FALSE = Approx(EMPTY, EMPTY)
#: Not decided: may hold anywhere, surely holds nowhere.
UNKNOWN = Approx(FULL, EMPTY)


def may_overlap(a: Approx, b: Approx) -> bool:
    """Whether the two guards may hold for the same values (False: they exclude each other)."""
    return _region_and(a.over, b.over) != EMPTY


def surely_overlap(a: Approx, b: Approx) -> bool:
    """Whether some values surely make both guards hold."""
    return _region_and(a.under, b.under) not in (None, EMPTY)


def _both(a: Approx, b: Approx) -> Approx:
    over, under = _region_and(a.over, b.over), _region_and(a.under, b.under)
    return Approx(a.over if over is None else over, EMPTY if under is None else under)


def _either(a: Approx, b: Approx) -> Approx:
    over, under = _region_or(a.over, b.over), _region_or(a.under, b.under)
    return Approx(FULL if over is None else over, a.under if under is None else under)


def _negate(a: Approx, domains: Mapping[str, Span]) -> Approx:
    over, under = _region_not(a.under, domains), _region_not(a.over, domains)
    return Approx(FULL if over is None else over, EMPTY if under is None else under)


class _Linear(NamedTuple):
    """``a × var + b``; ``var`` is None for a constant. ``exact`` when it is a constant, a
    variable or a negated variable: then the engine computes it without rounding."""

    var: str | None
    a: float
    b: float
    exact: bool = False


_MIRROR: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.LtE: ast.GtE,
    ast.Gt: ast.Lt,
    ast.GtE: ast.LtE,
    ast.Eq: ast.Eq,
    ast.NotEq: ast.NotEq,
}
_HOLDS: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: lambda x, y: x < y,
    ast.LtE: lambda x, y: x <= y,
    ast.Gt: lambda x, y: x > y,
    ast.GtE: lambda x, y: x >= y,
    ast.Eq: lambda x, y: x == y,
    ast.NotEq: lambda x, y: x != y,
}


def _solutions(op: type[ast.cmpop], k: float, slack: float) -> tuple[Spans, Spans]:
    """The values x with ``x op k``: (a superset, a subset), ``slack`` apart at each end."""
    lo, hi = k - slack, k + slack
    exact = slack == 0.0
    if op in (ast.Lt, ast.LtE):
        closed = op is ast.LtE
        return (Span(-math.inf, hi, False, closed or not exact),), (
            Span(-math.inf, lo, False, closed and exact),
        )
    if op in (ast.Gt, ast.GtE):
        closed = op is ast.GtE
        return (Span(lo, math.inf, closed or not exact, False),), (
            Span(hi, math.inf, closed and exact, False),
        )
    below, above = Span(-math.inf, lo, False, False), Span(hi, math.inf, False, False)
    if op is ast.Eq:
        return (Span(lo, hi, True, True),), ((Span(k, k, True, True),) if exact else ())
    return ((_ALL,) if not exact else (below, above)), (below, above)


class Guards:
    """Reads guards as regions of the variables' values, within fixed bounds.

    Args:
        bounds: Each variable's ``(min, max)``; a name not here is not a variable.
        parameters: Names that stand for fixed numbers (a scenario's ``parameters``).
    """

    def __init__(self, bounds: Bounds, parameters: Mapping[str, float] | None = None) -> None:
        self._domains = {name: Span(lo, hi, True, True) for name, (lo, hi) in bounds.items()}
        self._parameters = dict(parameters or {})
        self._cache: dict[str, Approx] = {}

    def approx(self, guard: str | None) -> Approx:
        """Where the guard ``guard`` (its text) may and surely holds; no guard always holds.

        Text that does not parse is :data:`UNKNOWN`. Each text is read once.
        """
        if guard is None:
            return TRUE
        text = guard.strip()
        if text not in self._cache:
            try:
                tree = ast.parse(text, mode="eval")
            except (SyntaxError, ValueError, RecursionError):
                self._cache[text] = UNKNOWN
            else:
                self._cache[text] = self._condition(tree.body)
        return self._cache[text]

    def never(self, a: Approx) -> bool:
        """Whether the guard surely holds for no values within the bounds."""
        return not a.over

    def always(self, a: Approx) -> bool:
        """Whether the guard surely holds for every value within the bounds."""
        return _region_not(a.under, self._domains) == EMPTY

    def covers(self, a: Approx, b: Approx) -> bool:
        """Whether ``a`` surely holds wherever ``b`` may (so ``b`` after ``a`` never wins)."""
        escape = _region_not(a.under, self._domains)
        return escape is not None and _region_and(b.over, escape) == EMPTY

    def _condition(self, node: ast.expr) -> Approx:
        if isinstance(node, ast.BoolOp):
            parts = [self._condition(v) for v in node.values]
            return reduce(_both if isinstance(node.op, ast.And) else _either, parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _negate(self._condition(node.operand), self._domains)
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            links = (
                self._compare(operands[i], op, operands[i + 1]) for i, op in enumerate(node.ops)
            )
            return reduce(_both, links)
        if isinstance(node, ast.IfExp):
            test = self._condition(node.test)
            return _either(
                _both(test, self._condition(node.body)),
                _both(_negate(test, self._domains), self._condition(node.orelse)),
            )
        # A number used as a condition is true when it is not zero.
        return self._solve(self._linear(node), ast.NotEq, _Linear(None, 0.0, 0.0, exact=True))

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Approx:
        # The same computation on both sides rounds the same way: its result is exact.
        same = ast.dump(left) == ast.dump(right)
        return self._solve(self._linear(left), type(op), self._linear(right), same=same)

    def _solve(
        self,
        left: _Linear | None,
        op: type[ast.cmpop],
        right: _Linear | None,
        *,
        same: bool = False,
    ) -> Approx:
        if left is None or right is None or op not in _HOLDS:
            return UNKNOWN
        if left.var is None and right.var is None:
            return TRUE if _HOLDS[op](left.b, right.b) else FALSE
        if left.var is not None and right.var is not None and left.var != right.var:
            return UNKNOWN
        if left.var is None:  # put the variable on the left
            left, right, op = right, left, _MIRROR[op]
        assert left.var is not None
        a, c = left.a - right.a, right.b - left.b
        if _cancels(a, left.a, right.a):
            return UNKNOWN
        if a == 0.0:
            # The variable cancels on paper (``x * 3 - x > 2 * x``), but the engine rounds each
            # side its own way: decide on the constants only when they are clear of rounding.
            noise = 1e-9 * max(1.0, abs(left.a), abs(right.a), abs(left.b), abs(right.b))
            rounded = not (same or (left.exact and right.exact))
            if rounded and left.a != 0.0 and abs(c) <= noise:
                return UNKNOWN
            return TRUE if _HOLDS[op](0.0, c) else FALSE
        if a < 0:
            op = _MIRROR[op]
        k = c / a
        # ``x op k`` is exact when both sides are plain (``k`` is then ``c`` or ``c / ±1``, or
        # ``c / ±2`` for ``x op -x``); otherwise rounding in the engine's arithmetic could move
        # the boundary, so the sets are kept well clear of it: one part in 10⁹ of the largest
        # term, in units of the variable.
        scale = max(1.0, abs(k), abs(left.b / a), abs(right.b / a))
        slack = 0.0 if left.exact and right.exact else 1e-9 * scale
        over, under = _solutions(op, k, slack)
        return Approx(self._region(left.var, over), self._region(left.var, under))

    def _region(self, var: str, spans: Spans) -> Region:
        within = _set_meet(spans, (self._domains.get(var, _ALL),))
        return (((var, within),),) if within else EMPTY

    def _linear(self, node: ast.expr) -> _Linear | None:
        if not any(isinstance(n, ast.Name) and n.id in self._domains for n in ast.walk(node)):
            value = self._constant(node)
            return None if value is None else _Linear(None, 0.0, value, exact=True)
        if isinstance(node, ast.Name):
            return _Linear(node.id, 1.0, 0.0, exact=True)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self._linear(node.operand)
            if inner is None:
                return None
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            # Negation is exact in floating point.
            return _Linear(inner.var, sign * inner.a, sign * inner.b, inner.exact)
        if isinstance(node, ast.BinOp):
            left, right = self._linear(node.left), self._linear(node.right)
            if left is None or right is None:
                return None
            return _combine(node.op, left, right)
        return None

    def _constant(self, node: ast.expr) -> float | None:
        # A part without variables is computed by the expression language itself (parsed and
        # compiled to closures, never eval'd), so its value is exactly the engine's.
        try:
            value = parse_expression(ast.unparse(node), constants=self._parameters)({})
            number = float(value)
        except (ExpressionError, ArithmeticError, ValueError, TypeError, KeyError):
            return None
        return number if math.isfinite(number) else None


def _cancels(a: float, p: float, q: float) -> bool:
    """Whether ``a`` (= p - q) is rounding noise, not a coefficient: ``0.1 * x * 3 - 0.3 * x``
    gives 5.6e-17 here, and an engine value whose sign no one can tell."""
    return a != 0.0 and abs(a) <= 1e-9 * max(abs(p), abs(q))


def _combine(op: ast.operator, left: _Linear, right: _Linear) -> _Linear | None:
    if isinstance(op, ast.Add | ast.Sub):
        if left.var is not None and right.var is not None and left.var != right.var:
            return None
        sign = 1.0 if isinstance(op, ast.Add) else -1.0
        a = left.a + sign * right.a
        if _cancels(a, left.a, right.a):
            return None
        return _Linear(left.var or right.var, a, left.b + sign * right.b)
    if isinstance(op, ast.Mult) and (left.var is None or right.var is None):
        k, x = (left.b, right) if left.var is None else (right.b, left)
        return _Linear(x.var, k * x.a, k * x.b)
    if isinstance(op, ast.Div) and right.var is None and right.b != 0.0:
        return _Linear(left.var, left.a / right.b, left.b / right.b)
    return None


__all__ = [
    "EMPTY",
    "FALSE",
    "FULL",
    "TRUE",
    "UNKNOWN",
    "Approx",
    "Bounds",
    "Box",
    "Guards",
    "Region",
    "Span",
    "Spans",
    "contains",
    "may_overlap",
    "surely_overlap",
]
