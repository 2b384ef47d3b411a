"""A stream an API key added stops when that key is revoked: a leaked read key must not
leave a feed of the log running after it is cut off."""

from __future__ import annotations

from activitylog import ActivityLog
from activitylog.followers import Following
from activitylog.streams import Streams, new_stream
from activitylog.streams.service import stream_followers

from ._receivers import WebhookReceiver

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_revoked_keys_streams_stop_and_a_persons_go_on(log: ActivityLog) -> None:
    accounts = log.accounts()
    key, _secret = accounts.create_key(workspace="acme", scope="read", name="siem")
    receiver = WebhookReceiver(SECRET).start()
    try:
        by_key, by_person = (
            Streams(log).add(
                new_stream(
                    allow_private=True,
                    name=name,
                    workspace="acme",
                    url=receiver.url,
                    secret=SECRET,
                    start="beginning",
                    created_by=creator,
                )
            )
            for name, creator in (("by-key", key.id), ("by-person", "u_ava"))
        )
        log.record(workspace="acme", action="contact.updated")
        Following(log).catch_up(list(stream_followers(log)))
        assert len(receiver.deliveries) == 2
        accounts.revoke_key(key.id)
        log.record(workspace="acme", action="contact.updated")
        followers = stream_followers(log)
        assert [f.stream.id for f in followers] == [by_person.id]
        Following(log).catch_up(list(followers))
        sent = [d.webhook_id for d in receiver.deliveries]
        assert len(sent) == 3
        assert all(by_key.id not in batch for batch in sent[2:])
    finally:
        receiver.stop()
