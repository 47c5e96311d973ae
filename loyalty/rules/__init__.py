"""Reward rules as data, made safe: conditions compiled to one SQL WHERE, formulas over a whitelist.

`conditions` and `reward_config` keep seed 001's JSON shapes; `compile_rule` checks both and
returns a `CompiledRule` the evaluator, the simulator and Explain share, so a rule that saves is
a rule that runs.
"""

from loyalty.rules.compiler import CompiledRule, RuleInvalid, compile_rule, period_key

__all__ = ["CompiledRule", "RuleInvalid", "compile_rule", "period_key"]
