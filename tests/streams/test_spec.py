"""A new stream's checks (pure), and what its records show."""

from __future__ import annotations

import pytest

from activitylog.errors import ValidationError
from activitylog.streams import new_stream, stream_event
from activitylog.streams.records import CREATED, REMOVED
from activitylog.streams.spec import parse_hostport, url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://siem.example.com/hook",
        "http://127.0.0.1:8080/x",
        "http://127.8.0.1/x",
        "http://[::1]:9000/x",
        "http://localhost/x",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://siem.example.com/hook", "must use https://"),
        ("http://10.0.0.1/hook", "must use https://"),
        ("http://localhost.evil.example/x", "must use https://"),
        ("ftp://siem.example.com/", "must be an https:// URL"),
        ("https:///nohost", "must be an https:// URL"),
        ("https://user:pw@siem.example.com/", "must not hold a user name or password"),
        ("https://exa mple.com/", "is not a valid URL"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    assert reason in (url_problem(url) or "")


def test_host_and_port() -> None:
    assert parse_hostport("logs.example.com:6514") == ("logs.example.com", 6514)
    assert parse_hostport("[2001:db8::1]:514") == ("2001:db8::1", 514)
    for bad, reason in (
        ("logs.example.com", "HOST:PORT"),
        ("::1:514", "brackets"),
        ("h:0", "port must be"),
        ("h:65536", "port must be"),
        ("h:x", "port must be"),
        ("a b:514", "host is not"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_hostport(bad)


def test_a_new_webhook_gets_a_secret_and_an_id() -> None:
    stream = new_stream(
        allow_private=True, name=" siem ", workspace="acme", url="https://h.example/x"
    )
    assert stream.id.startswith("st_")
    assert stream.name == "siem"
    assert stream.secret is not None
    assert stream.secret.startswith("whsec_")
    assert (stream.kind, stream.format, stream.start) == ("webhook", "json", "end")
    assert stream.follower_name == f"stream:{stream.id}"
    assert "secret" not in stream.to_dict()
    assert "whsec_" not in repr(stream)
    other = new_stream(allow_private=True, name="siem", workspace="acme", url="https://h.example/x")
    assert (other.id, other.secret) != (stream.id, stream.secret)


def test_filters_are_kept_as_lists_and_checked() -> None:
    stream = new_stream(
        allow_private=True,
        name="s",
        workspace="acme",
        syslog="h:514",
        filters={"results": "failure", "countries": ["de "], "search": "", "events": []},
    )
    assert stream.filters == {"results": ["failure"], "countries": ["DE"]}
    assert stream.secret is None
    filters = stream.selection_filters()
    assert (filters.results, filters.countries) == (("failure",), ("DE",))
    with pytest.raises(ValidationError) as caught:
        new_stream(
            allow_private=True,
            name="s",
            workspace="acme",
            syslog="h:514",
            filters={"roles": ["king"]},
        )
    assert [e.field for e in caught.value.errors] == ["filters.roles"]


def test_every_bad_field_is_named_at_once(tmp_path: object) -> None:
    with pytest.raises(ValidationError) as caught:
        new_stream(
            allow_private=True,
            name="",
            workspace="acme",
            file="/no/such/folder/out",
            format="xml",
            start="later",
            secret="whsec_x",
            syslog_ca="/no/such/ca.pem",
        )
    assert [e.field for e in caught.value.errors] == [
        "name",
        "file",
        "syslog_tls",
        "syslog_ca",
        "format",
        "from",
        "secret",
    ]


def test_records_show_settings_but_never_the_secret() -> None:
    stream = new_stream(
        allow_private=True, name="s", workspace=None, url="https://h.example/x", format="cef"
    )
    created = stream_event(stream, CREATED)
    assert created["workspace"] == "platform"
    assert created["action"] == "stream.created"
    assert created["changes"]["format"] == {"before": None, "after": "cef"}
    assert created["changes"]["target"] == {"before": None, "after": "https://h.example/x"}
    assert stream.secret not in str(created)
    removed = stream_event(stream, REMOVED)
    assert removed["changes"]["name"] == {"before": "s", "after": None}
