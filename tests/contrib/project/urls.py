from django.urls import path

from . import views

urlpatterns = [
    path("sign-in", views.sign_in),
    path("sign-out", views.sign_out),
    path("contacts/<int:pk>", views.edit_contact),
    path("contacts/<int:pk>/fail", views.edit_then_fail),
    path("contacts/<int:pk>/async", views.async_edit),
    path("viewed", views.viewed),
    path("streamed", views.streamed),
]
