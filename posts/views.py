from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "posts/queue.html")


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The status bar alone, for htmx polling."""
    return render(request, "status_bar.html")
