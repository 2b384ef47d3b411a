"""Views the tests drive through Django's test client."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from activitylog.contrib.django import get_log

from .shop.models import Contact


def sign_in(request: HttpRequest) -> HttpResponse:
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return JsonResponse({"ok": False}, status=401)
    login(request, user)
    return JsonResponse({"ok": True})


def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return JsonResponse({"ok": True})


def edit_contact(request: HttpRequest, pk: int) -> HttpResponse:
    contact = Contact.objects.get(pk=pk)
    for key, value in json.loads(request.body).items():
        setattr(contact, key, value)
    contact.save()
    return JsonResponse({"ok": True})


class Conflict(Exception):
    pass


def edit_then_fail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        with transaction.atomic():
            contact = Contact.objects.get(pk=pk)
            contact.name = "never stored"
            contact.save()
            raise Conflict
    except Conflict:
        return JsonResponse({"ok": False}, status=409)


async def async_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = await Contact.objects.aget(pk=pk)
    contact.name = json.loads(request.body)["name"]
    await contact.asave()
    return JsonResponse({"ok": True})


def viewed(request: HttpRequest) -> HttpResponse:
    get_log().record(action="contact.viewed", subject={"type": "contact", "id": "1"})
    return JsonResponse({"ok": True})


def streamed(request: HttpRequest) -> HttpResponse:
    def body() -> Iterator[bytes]:
        yield b"a"
        get_log().record(action="contact.exported", subject={"type": "contact"})
        yield b"b"

    return StreamingHttpResponse(body())
