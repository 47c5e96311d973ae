"""Private file storage for ticket attachments: outside MEDIA_ROOT, with no public URL. Files are
served only by views that check the person asking (support.views, support.admin)."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @cached_property
    def base_url(self):
        return None

    def url(self, name):
        raise NotImplementedError("Private files have no public URL; serve them through a view that checks access.")


_storage = None


def private_storage() -> PrivateStorage:
    global _storage
    if _storage is None:
        _storage = PrivateStorage()
    return _storage
