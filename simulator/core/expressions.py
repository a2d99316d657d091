"""The guard and probability language: small, safe, compiled once.

Guards (``tension >= 0.6``) and probabilities (``0.2 + 0.5 * tension``) are written by
people who share scenario files, so the text is never given to ``eval``. It is parsed by
Python's own parser (which runs nothing) and then every node is checked against a short
whitelist: numbers, booleans, variable names, arithmetic, comparisons, ``and``/``or``/
``not``, conditional expressions and a few named functions. The checked tree is compiled into
nested closures, so evaluating a guard costs a few function calls and no parsing.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import ExpressionError, did_you_mean

Value = float | bool
Env = Mapping[str, float]
Compiled = Callable[[Env], Any]
#: A checked expression waiting for its constants' values: called with them, it gives the
#: compiled closures. Binding new values (a design point moving a threshold) then costs a few
#: closures, not a parse and a check (see ``Expression.bind``).
Builder = Callable[[Env], Compiled]

#: Longest expression text accepted; guards are one-liners, and the bound keeps the parser
#: (which recurses) far from its limits on hostile input.
MAX_LENGTH = 500
#: Deepest syntax tree accepted.
MAX_DEPTH = 32


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


#: The functions an expression may call, by name, with their number of arguments.
FUNCTIONS: dict[str, tuple[Callable[..., float], int | None]] = {
    "min": (lambda *args: min(args), None),
    "max": (lambda *args: max(args), None),
    "abs": (abs, 1),
    "clamp": (_clamp, 3),
    "exp": (math.exp, 1),
    "log": (math.log, 1),
    "sqrt": (math.sqrt, 1),
}


def _power(base: Any, exponent: Any) -> Any:
    # As floats: booleans are Python integers, and (true+true)**(true+true)**... is an exact
    # integer power that would run for ever; in floating point it overflows at once.
    # Python answers a negative number to a fractional power with a complex number, which
    # would then fail somewhere far from here (or, as a guard, silently count as true).
    result = float(base) ** float(exponent)
    if isinstance(result, complex):
        raise ValueError(f"{base:g} ** {exponent:g} has no real value")
    return result


#: What evaluating an expression on values it was not written for raises: a division by zero,
#: the log of a negative number, an overflow (``10 ** 10 ** 10``), a power with no real value.
EVALUATION_ERRORS = (ArithmeticError, ValueError, TypeError)


def evaluation_error(
    what: str, expr: Expression, values: Mapping[str, float], err: Exception, key_path: Any = ()
) -> ExpressionError:
    """The error for ``expr`` (a ``what``: guard, probability) failing on ``values``."""
    shown = ", ".join(f"{k}={v:g}" for k, v in list(values.items())[:8])
    more = ", ..." if len(values) > 8 else ""
    # Python's own words for these are cryptic ("(34, 'Numerical result out of range')").
    if isinstance(err, OverflowError):
        why = "a result too large for floating point"
    elif str(err) == "math domain error":
        why = "math domain error (the log of a number <= 0, or the square root of one < 0)"
    else:
        why = str(err)
    return ExpressionError(
        f"{what} {_shown(expr.text)} cannot be evaluated ({shown}{more}): {why}",
        key_path=key_path,
    )


def as_guard(expr: Expression, key_path: Any = ()) -> Callable[[Env], bool]:
    """``expr`` as a guard that a run calls (a transition's, a rule's ``when`` or
    ``cancel_on``): its truth, or an ``ExpressionError`` naming the guard, the values and where
    it is written (``key_path``) when it cannot be evaluated on them."""

    def guard(values: Env) -> bool:
        try:
            return bool(expr(values))
        except EVALUATION_ERRORS as err:
            raise evaluation_error("guard", expr, values, err, key_path) from None

    return guard


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: _power,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_SYMBOL: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.Mod: "%",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}


@dataclass(frozen=True)
class Expression:
    """A parsed, checked and compiled expression.

    Attributes:
        text: The source text, as written.
        names: The variable names it reads.
    """

    text: str
    names: frozenset[str]
    _fn: Compiled = field(repr=False, compare=False)
    bound: tuple[tuple[str, float], ...] = ()

    def __call__(self, env: Env) -> Any:
        """Evaluate against variable values; a missing name raises ``KeyError``."""
        return self._fn(env)

    def __str__(self) -> str:
        return self.text

    def bind(self, constants: Mapping[str, float]) -> Expression:
        """This expression with ``constants`` compiled in as fixed values: what
        ``parse_expression(self.text, constants=constants)`` gives, from the text's checked
        template (made once per text and set of constant names) rather than a new parse."""
        if not constants or not (self.names & constants.keys()):
            return self
        mentioned = _mentioned(self.text.strip())
        build, names = _template(self.text, frozenset(k for k in constants if k in mentioned))
        return Expression(
            text=self.text,
            names=names,
            _fn=build(constants),
            bound=_binding(mentioned, constants),
        )

    def binding(self, constants: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
        """What ``bind(constants)`` would compile in (its ``bound``), without compiling: two
        sets of constants with the same binding give expressions that evaluate alike."""
        if not constants or not (self.names & constants.keys()):
            return self.bound
        return _binding(_mentioned(self.text.strip()), constants)

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled closures do not pickle; the text does, and recompiles to the same function.
        # (Scenarios travel to worker processes this way.)
        return (parse_expression, (self.text, None, dict(self.bound) or None))


def parse_expression(
    text: str,
    allowed_names: frozenset[str] | None = None,
    constants: Mapping[str, float] | None = None,
) -> Expression:
    """Parse and compile ``text``.

    Args:
        text: The expression.
        allowed_names: The variable names it may use; ``None`` accepts any name.
        constants: Names compiled in as fixed values (a scenario's ``parameters``); they are
            not among the expression's ``names``.

    Raises:
        ExpressionError: The text is not a valid expression of the language.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression as text, got {text!r}")
    if not text.strip():
        raise ExpressionError("empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression {_shown(text, 40)} is {len(text)} characters long (limit {MAX_LENGTH})"
        )
    _refuse_compatibility_forms(text)
    # Python's parser refuses leading blanks; offsets are shifted back so they index ``text``.
    lead = len(text) - len(text.lstrip())
    try:
        tree = _tree(text.strip())
    except SyntaxError as err:
        offset = (err.offset - 1 + lead) if err.offset else None
        raise ExpressionError(f"syntax error in {_shown(text)}: {err.msg}", offset) from None
    except (RecursionError, MemoryError, ValueError) as err:
        raise ExpressionError(f"cannot parse {_shown(text)}: {err}") from None
    names: set[str] = set()
    try:
        build = _Compiler(text, allowed_names, names, constants or {}).compile(tree.body, depth=1)
    except ExpressionError as err:
        if err.offset is None or not lead:
            raise
        raise ExpressionError(str(err), err.offset + lead) from None
    used = _binding(_mentioned(text.strip()), constants or {})
    return Expression(text=text, names=frozenset(names), _fn=build(constants or {}), bound=used)


@functools.lru_cache(maxsize=1_024)
def _template(text: str, constants: frozenset[str]) -> tuple[Builder, frozenset[str]]:
    """The builder of ``text`` (an expression parsed and checked before) with ``constants``
    compiled in, and the variable names it reads."""
    names: set[str] = set()
    build = _Compiler(text, None, names, constants).compile(_tree(text.strip()).body, depth=1)
    return build, frozenset(names)


#: A run of identifier characters (Unicode-aware, as Python's identifiers are).
_WORD = re.compile(r"\w+")


def _refuse_compatibility_forms(text: str) -> None:
    """Refuse a name that Python would read as another: its parser normalises identifiers to
    NFKC, so a full-width ``ｔｅｎｓｉｏｎ`` would silently be ``tension`` (and ``ﬁ`` be ``fi``)."""
    if text.isascii():
        return
    for match in _WORD.finditer(text):
        word = match.group()
        normal = unicodedata.normalize("NFKC", word)
        if normal != word:
            raise ExpressionError(
                f"the name {_shown(word, 40)} in {_shown(text)} is written with characters "
                f"that are read as {_shown(normal, 40)} (compatibility forms such as "
                f"full-width letters); write {_shown(normal, 40)}",
                match.start(),
            )


def _binding(
    mentioned: frozenset[str], constants: Mapping[str, float]
) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, float(v)) for k, v in constants.items() if k in mentioned))


class _Compiler:
    def __init__(
        self,
        text: str,
        allowed: frozenset[str] | None,
        names: set[str],
        constants: Collection[str],
    ) -> None:
        self.text = text
        # The text as messages quote it: a 500-character guard is not repeated whole.
        self.shown = _shown(text)
        self.allowed = allowed
        self.names = names
        self.constants = constants

    def fail(self, node: ast.AST, what: str) -> ExpressionError:
        offset = getattr(node, "col_offset", None)
        return ExpressionError(f"{what} is not allowed in {self.shown}", offset)

    def compile(self, node: ast.expr, depth: int) -> Builder:
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression {self.shown} is nested too deeply (limit {MAX_DEPTH})"
            )
        d = depth + 1
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return _ready(_const(value))
            if isinstance(value, int | float):
                try:
                    return _ready(_const(float(value)))
                except OverflowError:
                    # An integer literal of hundreds of digits: float() cannot hold it.
                    digits = str(value)
                    raise ExpressionError(
                        f"the number {digits[:12]}... ({len(digits)} digits) is too large "
                        f"for floating point in {self.shown}",
                        getattr(node, "col_offset", None),
                    ) from None
            raise self.fail(node, f"the constant {value!r}")
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, d)
            if isinstance(node.op, ast.Not):
                return lambda k: _not(operand(k))
            if isinstance(node.op, ast.USub):
                return lambda k: _negative(operand(k))
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, "the operator '~'")
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.fail(node, f"the operator {type(node.op).__name__}")
            left, right = self.compile(node.left, d), self.compile(node.right, d)
            return lambda k: _binary(op, left(k), right(k))
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v, d) for v in node.values]
            combine = _all if isinstance(node.op, ast.And) else _any
            return lambda k: combine([p(k) for p in parts])
        if isinstance(node, ast.Compare):
            return self._compare(node, d)
        if isinstance(node, ast.IfExp):
            test, body, orelse = (self.compile(n, d) for n in (node.test, node.body, node.orelse))
            return lambda k: _if(test(k), body(k), orelse(k))
        if isinstance(node, ast.Call):
            return self._call(node, d)
        raise self.fail(node, _describe(node))

    def _name(self, node: ast.Name) -> Builder:
        name = node.id
        if name in ("true", "True"):
            return _ready(_const(True))
        if name in ("false", "False"):
            return _ready(_const(False))
        if name in self.constants:
            return lambda k: _slot(k, name) if isinstance(k, Slots) else _const(float(k[name]))
        if self.allowed is not None and name not in self.allowed:
            hint = did_you_mean(name, self.allowed)
            known = ", ".join(sorted(self.allowed)) or "none"
            raise ExpressionError(
                f"unknown variable {name!r} in {self.shown}{hint}; variables: {known}",
                node.col_offset,
            )
        self.names.add(name)
        return _ready(lambda env: env[name])

    def _compare(self, node: ast.Compare, depth: int) -> Builder:
        ops: list[Callable[[Any, Any], bool]] = []
        for cmp in node.ops:
            fn = _COMPARE.get(type(cmp))
            if fn is None:
                raise self.fail(node, f"the comparison {type(cmp).__name__}")
            ops.append(fn)
        operands = [self.compile(node.left, depth)] + [
            self.compile(c, depth) for c in node.comparators
        ]
        if len(ops) == 1:
            op, left, right = ops[0], operands[0], operands[1]
            return lambda k: _binary(op, left(k), right(k))
        return lambda k: _chained(ops, [o(k) for o in operands])

    def _call(self, node: ast.Call, depth: int) -> Builder:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, _describe(node.func))
        if node.func.id not in FUNCTIONS:
            what = node.func.id
            hint = did_you_mean(what, FUNCTIONS)
            raise ExpressionError(
                f"calling {what!r} is not allowed in {self.shown}{hint}; "
                f"functions: {', '.join(sorted(FUNCTIONS))}",
                node.col_offset,
            )
        if node.keywords:
            raise self.fail(node, "a keyword argument")
        fn, arity = FUNCTIONS[node.func.id]
        if (arity is not None and len(node.args) != arity) or not node.args:
            want = f"{arity}" if arity is not None else "at least 1"
            raise ExpressionError(
                f"{node.func.id}() takes {want} argument(s), got {len(node.args)} in {self.shown}",
                node.col_offset,
            )
        args = [self.compile(a, depth) for a in node.args]
        return lambda k: _called(fn, [a(k) for a in args])


# The closures an expression is compiled into, one maker per kind of node (see Builder).


def _ready(fn: Compiled) -> Builder:
    """A part that reads no constant: the same closure whatever their values."""
    return lambda _constants: fn


def _not(operand: Compiled) -> Compiled:
    return lambda env: not operand(env)


def _negative(operand: Compiled) -> Compiled:
    return lambda env: -operand(env)


def _binary(op: Callable[[Any, Any], Any], left: Compiled, right: Compiled) -> Compiled:
    return lambda env: op(left(env), right(env))


def _all(parts: list[Compiled]) -> Compiled:
    return lambda env: all(p(env) for p in parts)


def _any(parts: list[Compiled]) -> Compiled:
    return lambda env: any(p(env) for p in parts)


def _if(test: Compiled, body: Compiled, orelse: Compiled) -> Compiled:
    return lambda env: body(env) if test(env) else orelse(env)


def _chained(ops: list[Callable[[Any, Any], bool]], operands: list[Compiled]) -> Compiled:
    def chained(env: Env) -> bool:
        values = [o(env) for o in operands]
        return all(op(values[i], values[i + 1]) for i, op in enumerate(ops))

    return chained


def _called(fn: Callable[..., float], args: list[Compiled]) -> Compiled:
    return lambda env: fn(*(a(env) for a in args))


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


@functools.lru_cache(maxsize=1_024)
def _tree(source: str) -> ast.Expression:
    # Parsed once per text: binding a guard to a design point's parameters compiles it again,
    # and the tree is only read (never changed) by the compiler.
    return ast.parse(source, mode="eval")


@functools.lru_cache(maxsize=1_024)
def _mentioned(source: str) -> frozenset[str]:
    # Once per text, as _tree: a design point binds the same guards again and again.
    return frozenset(n.id for n in ast.walk(_tree(source)) if isinstance(n, ast.Name))


def _const(value: Value) -> Compiled:
    return lambda _env: value


class Slots(dict[str, float]):
    """Constants read when an expression is evaluated, not when it is bound: an expression
    bound to a ``Slots`` (``bind``) reads each constant of it from this very dict at every
    call. A batch's worker binds its guards and chances so once and writes a design point's
    values into the dict, rather than binding them again per point (``engine.slots``). The
    values must be floats, as a bound constant is (``float(value)``)."""

    __slots__ = ()


def _slot(slots: Slots, name: str) -> Compiled:
    return lambda _env: slots[name]


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.List: "a list",
        ast.Tuple: "a tuple",
        ast.Dict: "a mapping",
        ast.Set: "a set",
        ast.JoinedStr: "an f-string",
        ast.NamedExpr: "assignment",
        ast.Starred: "unpacking",
        ast.Await: "await",
        ast.Yield: "yield",
    }
    return names.get(type(node), type(node).__name__)
