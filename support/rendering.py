"""`{{placeholder}}` templates (notification texts, canned replies, Discord messages), rendered
safely: only names from the given context are replaced, nothing is evaluated, an unknown name
stays as written."""

import re

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def render_placeholders(template: str, context: dict) -> str:
    def replace(match):
        name = match[1]
        return str(context[name]) if name in context else match[0]

    return PLACEHOLDER.sub(replace, template)


def placeholders_in(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))
