"""Studio staff see only their own studio's rows, wherever the admin shows a row or a choice.

`studio_lookup` on a ModelAdmin names the path from its model to games.Studio; a model whose
admin names none is hidden from studio staff. The narrowing happens in three places, each a
single mechanism every admin inherits:

- every URL of the admin that names an object (change, delete, history, django-simple-history's
  version and revert form, unfold's row and detail actions, custom views) answers 404 unless
  the object is in the admin's scoped queryset (`StudioScopedMixin.urls`): a view cannot
  forget to scope its lookup, because the lookup happens before the view runs;
- changelists, search and autocomplete read the scoped `get_queryset`;
- choices: foreign-key and many-to-many form fields, and the choices of list filters over
  relations (`ScopedRelatedFieldListFilter`), offer only what the user may see.
"""

import functools

from django.contrib.admin import AllValuesFieldListFilter, FieldListFilter, RelatedFieldListFilter
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import URLPattern
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts.models import StaffRole

STUDIO_MODEL_LABEL = "games.Studio"
# The names an admin URL gives the object it is about (Django's views and UserAdmin's password page).
OBJECT_ID_NAMES = ("object_id", "id")


def staff_studio_id(request):
    """The studio id a studio-role user is bound to, or None for every other user."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.role == StaffRole.STUDIO and not request.user.is_superuser:
        return profile.studio_id
    return None


def is_studio_staff(request) -> bool:
    profile = getattr(getattr(request, "user", None), "staff_profile", None)
    return bool(profile and profile.role == StaffRole.STUDIO and not request.user.is_superuser)


def scope_related_queryset(admin_site, model, request, queryset):
    """Narrow the choices of a relation to `model` to what the studio user may see.

    games.Studio itself narrows to the user's studio; a model whose registered admin has a
    `studio_lookup` narrows through it; anything else offers no choice at all.
    """
    if not is_studio_staff(request):
        return queryset
    studio_id = staff_studio_id(request)
    if model._meta.label == STUDIO_MODEL_LABEL:
        return queryset.filter(pk=studio_id)
    related_admin = admin_site._registry.get(model)
    lookup = getattr(related_admin, "studio_lookup", None)
    if lookup:
        return queryset.filter(**{lookup: studio_id})
    return queryset.none()


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A relation's list filter ("By studio", "By game") that lists only what the user may see."""

    def field_choices(self, field, request, model_admin):
        if not is_studio_staff(request):
            return super().field_choices(field, request, model_admin)
        related = field.related_model
        allowed = scope_related_queryset(model_admin.admin_site, related, request, related._default_manager.all())
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to=Q(pk__in=allowed.values("pk"))
        )


class ScopedAllValuesFieldListFilter(AllValuesFieldListFilter):
    """A value filter across a relation (`game__name`) reads the related table whole; this one
    lists only the values found in the admin's own, scoped rows."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if is_studio_staff(request):
            self.lookup_choices = (
                model_admin.get_queryset(request).distinct().order_by(field_path).values_list(field_path, flat=True)
            )


def scoped_filter_class(filter_class):
    """The studio-scoped variant of a relation or value list filter class (others unchanged)."""
    if issubclass(filter_class, ScopedRelatedFieldListFilter | ScopedAllValuesFieldListFilter):
        return filter_class
    if issubclass(filter_class, RelatedFieldListFilter):
        return type(f"Scoped{filter_class.__name__}", (ScopedRelatedFieldListFilter, filter_class), {})
    if issubclass(filter_class, AllValuesFieldListFilter):
        return type(f"Scoped{filter_class.__name__}", (ScopedAllValuesFieldListFilter, filter_class), {})
    return filter_class


def object_id_locator(url: URLPattern):
    """How to read the object id from a call of this admin URL's view, or None if it names none.

    An admin URL that captures anything must capture the object first (`object_id`, `id`, or
    the first positional group): otherwise the scoping guard could not check it, so such a
    URL is refused when the URLs are built rather than left unguarded.
    """
    pattern = url.pattern
    if isinstance(pattern, RoutePattern):
        names = list(pattern.converters)
        positional = 0
    elif isinstance(pattern, RegexPattern):
        names = list(pattern.regex.groupindex)
        positional = pattern.regex.groups if not names else 0
    else:  # pragma: no cover - Django has only these two
        raise ImproperlyConfigured(f"Unknown URL pattern type {type(pattern).__name__}.")
    for name in OBJECT_ID_NAMES:
        if name in names:
            return lambda args, kwargs, name=name: kwargs[name]
    if positional:
        return lambda args, kwargs: args[0]
    if names:
        raise ImproperlyConfigured(
            f"Admin URL {pattern} captures {names} but no object id ({' or '.join(OBJECT_ID_NAMES)})."
        )
    return None


class StudioScopedMixin:
    """Limits object URLs, querysets, choices, filters and permissions to the studio user's studio."""

    studio_lookup: str | None = None

    def scope_queryset(self, request, queryset):
        if not is_studio_staff(request):
            return queryset
        if self.studio_lookup is None:
            return queryset.none()
        return queryset.filter(**{self.studio_lookup: staff_studio_id(request)})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def object_in_scope(self, request, object_id) -> bool:
        """Is the object this URL names among the rows the user may see? (`_to_field` honoured.)"""
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        field_name = to_field if to_field and self.to_field_allowed(request, to_field) else "pk"
        try:
            return self.get_queryset(request).filter(**{field_name: unquote(str(object_id))}).exists()
        except (ValidationError, ValueError, TypeError):
            return False

    @property
    def urls(self):
        """Every URL that names an object answers 404 to studio staff unless the object is theirs.

        The site includes `urls`, so wrapping here covers whatever every class in the MRO adds
        through get_urls (Django's, django-simple-history's, unfold's, our own views), and the
        object is looked up through the scoped queryset before any of those views runs.
        """
        return [self._scoped_url(url) for url in self.get_urls()]

    def _scoped_url(self, url):
        if not isinstance(url, URLPattern):
            raise ImproperlyConfigured(f"{type(self).__name__}.get_urls() includes {url!r}: only URL patterns.")
        locate = object_id_locator(url)
        if locate is None:
            return url
        view = url.callback

        @functools.wraps(view)
        def scoped_view(request, *args, **kwargs):
            if is_studio_staff(request) and not self.object_in_scope(request, locate(args, kwargs)):
                raise Http404("No such object.")
            return view(request, *args, **kwargs)

        return URLPattern(url.pattern, scoped_view, url.default_args, url.name)

    def get_list_filter(self, request):
        """Relation and value filters list only the studio's own choices (others: as declared)."""
        specs = super().get_list_filter(request)
        if not is_studio_staff(request):
            return specs
        return [self._scoped_filter_spec(spec) for spec in specs]

    def _scoped_filter_spec(self, spec):
        if isinstance(spec, list | tuple):
            path, filter_class = spec
            return (path, scoped_filter_class(filter_class))
        if not isinstance(spec, str):
            return spec  # a SimpleListFilter computes its lookups itself, from the scoped queryset
        try:
            field = get_fields_from_path(self.model, spec)[-1]
        except FieldDoesNotExist:
            return spec
        # The class Django would pick for this field, in its scoped variant where there is one.
        default = next(cls for test, cls in FieldListFilter._field_list_filters if test(field))
        scoped = scoped_filter_class(default)
        return spec if scoped is default else (spec, scoped)

    def _hidden_from(self, request) -> bool:
        return is_studio_staff(request) and self.studio_lookup is None

    def has_module_permission(self, request):
        return not self._hidden_from(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return not self._hidden_from(request) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._hidden_from(request) and super().has_delete_permission(request, obj)

    def _related_queryset(self, db_field, request, kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using")).all()
        return scope_related_queryset(self.admin_site, db_field.remote_field.model, request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if is_studio_staff(request):
            kwargs["queryset"] = self._related_queryset(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if is_studio_staff(request):
            kwargs["queryset"] = self._related_queryset(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete passes the admin's own queryset; scoping again costs nothing and keeps
        # any caller that hands in a wider queryset inside the studio.
        return super().get_search_results(request, self.scope_queryset(request, queryset), search_term)
