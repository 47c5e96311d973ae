"""Cursor pagination of the partner API's lists."""

import base64

from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Cursor pages of at most `max_page_size`; a bad `cursor` or `page_size` is a 400, never a 404 or 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            # DRF's own decoding skips characters outside base64, so "%%%" would read as the first page.
            if encoded is not None:
                base64.b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (exceptions.NotFound, ValueError, UnicodeEncodeError):  # binascii.Error is a ValueError
            cursor = False
        # The cursor's position is compared with the first ordering field (a moment): a position
        # that is no moment would fail in the database instead of here.
        if cursor is False or (cursor is not None and cursor.position is not None and not _is_moment(cursor.position)):
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["This cursor is not valid; start again without it."]}
            )
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


def _is_moment(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False
