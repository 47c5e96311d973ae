"""Request bodies: JSON that every layer below can store."""

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


class StrictJSONParser(JSONParser):
    """JSON that every layer below can hold: no NUL character and no lone surrogate in any key or
    string (PostgreSQL's jsonb and text refuse them, a 500 once stored), nesting at most
    MAX_JSON_DEPTH deep (Python's parser recurses: deep enough, it raises RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        problem = _unstorable(data)
        if problem:
            raise exceptions.ParseError(problem)
        return data


def _unstorable(data) -> str | None:
    """Why `data` cannot be stored as sent, or None. Iterative: the depth is the thing being checked."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, dict):
            for key, item in value.items():
                if not _storable_text(key):
                    return "A JSON key holds a NUL character or an unpaired surrogate."
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not _storable_text(value):
            return "A JSON string holds a NUL character or an unpaired surrogate."
    return None


def _storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800"
        return False
    return True
