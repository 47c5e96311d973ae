"""Reward formulas (`"net_loss * 0.10"`): arithmetic over metric names, evaluated by simpleeval.

Checked on the parsed tree before anything runs: numbers, the whitelisted names, + - * / // %
**, unary minus, and calls of `min`, `max`, `round` only. No attribute access, subscripts,
strings, comparisons or other calls, so a formula can read a metric and nothing else. Numbers are
Decimals throughout (a float literal like 0.10 is read as Decimal("0.10")).
"""

import ast
from decimal import Decimal, InvalidOperation

from simpleeval import SimpleEval


def _round(value, places=0):
    return round(value, int(places))


FUNCTIONS = {"min": min, "max": max, "round": _round}
OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.USub, ast.UAdd)
MAX_LENGTH = 500


class FormulaInvalid(ValueError):
    """The formula is refused; the message names the offending token."""


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # an unparsable fragment: its node type still names it
        return type(node).__name__


def check_formula(formula, *, names: frozenset[str]) -> set[str]:
    """Refuse anything but arithmetic over `names`; returns the names the formula reads."""
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaInvalid('The formula is a non-empty text such as "net_loss * 0.10".')
    if len(formula) > MAX_LENGTH:
        raise FormulaInvalid(f"The formula is longer than {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaInvalid(f"The formula {formula!r} is not an expression ({exc.msg}).")
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load):
            continue
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            if not isinstance(node.op, OPERATORS):
                raise FormulaInvalid(f"The operator in {_describe(node)!r} is not allowed.")
            continue
        if isinstance(node, OPERATORS):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaInvalid(f"{_describe(node)!r} is not a number; formulas use numbers only.")
            continue
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue
            if node.id not in names:
                raise FormulaInvalid(f"Unknown name {node.id!r}; a formula may use {', '.join(sorted(names))}.")
            used.add(node.id)
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise FormulaInvalid(f"The call {_describe(node)!r} is not allowed; only min, max and round.")
            if node.keywords:
                raise FormulaInvalid(f"The call {_describe(node)!r} takes no keyword arguments.")
            continue
        raise FormulaInvalid(f"{_describe(node)!r} is not allowed in a formula.")
    return used


class _DecimalEval(SimpleEval):
    def _eval_constant(self, node):
        value = super()._eval_constant(node)
        return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value


def evaluate_formula(formula: str, *, values: dict[str, Decimal]) -> Decimal:
    """The formula's value for one player's metrics (already checked with `check_formula`)."""
    evaluator = _DecimalEval(functions=FUNCTIONS, names=values)
    try:
        result = evaluator.eval(formula.strip())
    except (ZeroDivisionError, InvalidOperation, ArithmeticError):
        return Decimal(0)
    return Decimal(str(result)) if not isinstance(result, Decimal) else result
