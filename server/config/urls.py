"""URL map: the API, the admin, health probes, media in the embedded default, the web app."""

from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path

from config.api import api
from core import views as core_views
from core.errors import api_not_found
from core.web import serve_media, serve_web_app

urlpatterns = [
    path("api/v1/", api.urls),
    # Past the API's routes: still the JSON error shape, never Django's HTML 404 page.
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz),
    path("readyz", core_views.readyz),
]
if settings.DEBUG or settings.EMBEDDED:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))
# Last: the exported web app owns every other path (client-side routing).
urlpatterns.append(re_path(r"^(?P<path>(?!api/|admin/|static/|media/).*)$", serve_web_app))
