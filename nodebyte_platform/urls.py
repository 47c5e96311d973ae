from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import urls as oauth2_urls

from accounts.impersonation import StopImpersonationView
from billing.urls import webhook_urlpatterns as payment_webhooks

from .health import healthz
from .oauth import PartnerIntrospectTokenView

# Partners need the authorization flow only. DOT's management pages (`/o/applications/`,
# `/o/authorized_tokens/`) would let any signed-in player register OAuth clients of their own,
# outside the partner onboarding that decides who is a client and with which scopes.
OAUTH2_FLOW_ROUTES = {"authorize", "token", "revoke-token"}
oauth2_flow = ([p for p in oauth2_urls.base_urlpatterns if p.name in OAUTH2_FLOW_ROUTES], "oauth2_provider")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Before DOT's own routes: introspection answers a partner about its own tokens only.
    path("o/introspect/", PartnerIntrospectTokenView.as_view(), name="oauth-introspect"),
    path("o/", include(oauth2_flow, namespace="oauth2_provider")),
    path("api/v1/", include("nodebyte_platform.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("allauth.urls")),
    # Only hijack's release: starting a view as a player goes through the admin's reason form.
    path("impersonation/stop/", StopImpersonationView.as_view(), name="impersonation-stop"),
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
