"""The test app's models: registered ones (with a many-to-many, a proxy, a per-instance
workspace, a cascade) and one that is not registered."""

from django.contrib.auth.models import User
from django.db import models

from activitylog.contrib.django import register


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    workspace = models.CharField(max_length=50)


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


@register(mask=["ssn"], exclude=["updated_at"])
class Contact(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    ssn = models.CharField(max_length=20, blank=True)
    api_token = models.CharField(max_length=40, blank=True)
    balance = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    data = models.JSONField(default=dict)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/contacts/{self.pk}"


class VipContact(Contact):
    class Meta:
        proxy = True


@register(workspace="account")
class Invoice(models.Model):
    account = models.CharField(max_length=50)
    number = models.CharField(max_length=20)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="invoices"
    )


class Note(models.Model):
    """Not registered: never recorded."""

    text = models.CharField(max_length=100)
