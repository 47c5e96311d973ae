from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from billing.urls import webhook_urlpatterns as payment_webhooks

from .health import healthz
from .oauth import PartnerIntrospectTokenView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Before DOT's own routes: introspection answers a partner about its own tokens only.
    path("o/introspect/", PartnerIntrospectTokenView.as_view(), name="oauth-introspect"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/v1/", include("nodebyte_platform.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("allauth.urls")),
    path("", include("nodebyte_platform.portal_urls")),
    *payment_webhooks,
]

# Under /api/ and /o/ these answer in the API's error body; elsewhere Django's pages.
handler400 = "nodebyte_platform.http.bad_request"
handler403 = "nodebyte_platform.http.permission_denied"
handler404 = "nodebyte_platform.http.not_found"
handler500 = "nodebyte_platform.http.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
