"""The test app's models: registered ones (with a many-to-many, a proxy, a per-instance
workspace, a cascade, fields Django stamps, a through model two models share, chosen and
custom-masked fields) and one that is not registered."""

from django.contrib.auth.models import User
from django.db import models

from activitylog.contrib.django import keep_last, register


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


@register
class Article(models.Model):
    """Fields Django stamps on save, and typed fields that may be assigned text."""

    title = models.CharField(max_length=100)
    views = models.IntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class Label(models.Model):
    name = models.CharField(max_length=50)


class Labelling(models.Model):
    """One through model for two models' many-to-many fields (django-auditlog's
    ``ReusableThroughModel``)."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="labellings")
    post = models.ForeignKey("Post", null=True, blank=True, on_delete=models.CASCADE)
    page = models.ForeignKey("Page", null=True, blank=True, on_delete=models.CASCADE)


@register
class Post(models.Model):
    title = models.CharField(max_length=100)
    labels = models.ManyToManyField(Label, through=Labelling, blank=True, related_name="posts")


@register
class Page(models.Model):
    title = models.CharField(max_length=100)
    labels = models.ManyToManyField(Label, through=Labelling, blank=True, related_name="pages")


@register(include=["subject", "status"])
class Ticket(models.Model):
    subject = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, default="open")
    watchers = models.ManyToManyField(User, blank=True, related_name="watched_tickets")


@register(mask=["number"], mask_with=keep_last(4))
class Card(models.Model):
    holder = models.CharField(max_length=100)
    number = models.CharField(max_length=19)


@register
class Appliance(models.Model):
    """Field names that merely contain a masked word (``otp`` in ``footprint``)."""

    name = models.CharField(max_length=100)
    footprint = models.CharField(max_length=20, blank=True)
    hotplate = models.CharField(max_length=20, blank=True)
    otp_code = models.CharField(max_length=20, blank=True)
