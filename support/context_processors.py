"""The notification bell of the portal's top bar: the signed-in user's unread count (one query)."""

from support.selectors import unread_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/admin/", "/api/", "/o/")):
        return {}
    return {"unread_notifications": unread_count(user=user)}
