"""Alert delivery: each raised alert sent to its workspace's channels (email over SMTP,
Standard Webhooks, Slack), retried with exponential backoff for up to 24 hours, every
attempt kept and shown on the alert.

- :mod:`.channels` where a workspace's alerts go; :mod:`.schema` the tables (migration 0011)
- :mod:`.follower` the ``deliveries`` follower: alert entries -> pending deliveries
- :mod:`.sender` :class:`Sender`, the timer that sends them; :mod:`.transports` SMTP, HTTP
- :mod:`.messages` the email, webhook and Slack shapes; :mod:`.retries` the backoff
- :mod:`.deliveries` the deliveries and attempts, :func:`attempts` for the alert views
"""

from activitylog.delivery.channels import Channel, Channels, channel_event
from activitylog.delivery.deliveries import Attempt, Delivery, attempts, deliveries
from activitylog.delivery.follower import DeliveryFollower, delivery_followers
from activitylog.delivery.sender import Sender

__all__ = [
    "Attempt",
    "Channel",
    "Channels",
    "Delivery",
    "DeliveryFollower",
    "Sender",
    "attempts",
    "channel_event",
    "deliveries",
    "delivery_followers",
]
