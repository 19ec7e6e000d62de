"""A URLconf with a view that fails, to see the 500 page."""

from django.urls import include, path


def explode(request):
    raise RuntimeError("secret traceback detail")


urlpatterns = [path("explode/", explode), path("", include("oktodash.urls"))]
handler500 = "oktodash.views.server_error"
