from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "contrib.project.shop"
    label = "shop"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from activitylog.contrib.django import register

        register(User)
