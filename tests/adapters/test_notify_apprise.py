"""AppriseNotifier through apprise's real delivery path (json:// to a loopback receiver)."""

from __future__ import annotations

import logging

import pytest

from cryptoterm.adapters.notify_apprise import AppriseNotifier, NotifyConfigError
from cryptoterm.config.schema import NotifyConfig
from cryptoterm.domain.redaction import redact_url, split_tags, url_secrets
from cryptoterm.ports.notify import NotificationAttempt
from tests.loopback.notify_receiver import NotifyReceiver

TOKEN = "s3cr3tTOKENabc123"


class _Clock:
    def now_ms(self) -> int:
        return 1_700_000_000_000


async def _no_sleep(seconds: float) -> None:
    _no_sleep.waits.append(seconds)  # type: ignore[attr-defined]


_no_sleep.waits = []  # type: ignore[attr-defined]


def notifier(urls: list[str], records: list[NotificationAttempt], **kw: object) -> AppriseNotifier:
    config = NotifyConfig(urls=urls, **kw)  # type: ignore[arg-type]
    return AppriseNotifier(config, record=records.append, clock=_Clock(), sleep=_no_sleep)


async def test_delivers_title_and_body_through_apprise() -> None:
    records: list[NotificationAttempt] = []
    async with NotifyReceiver() as rx:
        n = notifier([rx.json_url(f"/hook/{TOKEN}")], records)
        ok = await n.send("new", "▲ LONG BTC/USDT — rsi-pullback", "entry 100\nstop 90")
        n.close()
    assert ok is True
    assert len(rx.received) == 1
    got = rx.received[0]
    assert got.path == f"/hook/{TOKEN}"
    assert got.body["title"] == "▲ LONG BTC/USDT — rsi-pullback"
    assert got.body["message"] == "entry 100\nstop 90"
    assert records == [
        NotificationAttempt(1_700_000_000_000, "new", got.body["title"], "entry 100\nstop 90", True, 1, "")
    ]


async def test_retries_after_a_failed_attempt_and_records_each() -> None:
    records: list[NotificationAttempt] = []
    _no_sleep.waits.clear()  # type: ignore[attr-defined]
    async with NotifyReceiver() as rx:
        rx.fail_next(2)
        n = notifier([rx.json_url("/hook")], records, retries=3, retry_backoff_s=0.5)
        ok = await n.send("triggered", "t", "b")
        n.close()
    assert ok is True
    assert [r.answered for r in rx.received] == [500, 500, 200]
    assert [(r.attempts, r.delivered) for r in records] == [(1, False), (2, False), (3, True)]
    assert records[0].error.startswith("json://127.0.0.1:")
    assert _no_sleep.waits == [0.5, 1.0]  # type: ignore[attr-defined]


async def test_gives_up_after_retries() -> None:
    records: list[NotificationAttempt] = []
    async with NotifyReceiver() as rx:
        rx.fail_next(10)
        n = notifier([rx.json_url("/hook")], records, retries=1)
        ok = await n.send("error", "t", "b")
        n.close()
    assert ok is False
    assert len(rx.received) == 2
    assert [r.delivered for r in records] == [False, False]


async def test_tags_route_events_to_subscribed_urls_only() -> None:
    records: list[NotificationAttempt] = []
    async with NotifyReceiver() as rx:
        urls = [rx.json_url("/all"), rx.json_url("/trades") + "#triggered,closed", rx.json_url("/new") + "#new"]
        n = notifier(urls, records, events=["new", "triggered", "closed", "expired"])
        assert await n.send("new", "n", "b")
        assert await n.send("closed", "c", "b")
        assert await n.send("expired", "x", "b")
        assert not await n.send("error", "e", "b")  # not enabled in events: nothing is sent
        n.close()
    by_path: dict[str, list[str]] = {}
    for r in rx.received:
        by_path.setdefault(r.path, []).append(r.body["title"])
    assert by_path == {"/all": ["n", "c", "x"], "/trades": ["c"], "/new": ["n"]}
    assert n.wants("new") and not n.wants("error")


async def test_event_nobody_subscribes_to_is_not_sent() -> None:
    async with NotifyReceiver() as rx:
        n = notifier([rx.json_url("/x") + "#closed"], [], events=["new", "closed"])
        assert not n.wants("new")
        assert await n.send("new", "t", "b") is False
        n.close()
    assert rx.received == []


async def test_token_never_reaches_logs_or_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    records: list[NotificationAttempt] = []
    async with NotifyReceiver() as rx:
        rx.fail_next(1)
        url = f"json://user:{TOKEN}pw@127.0.0.1:{rx.port}/hook/{TOKEN}?key={TOKEN}q"
        n = notifier([url], records, retries=1)
        assert await n.send("new", "t", f"body mentioning {url}")
        n.close()
    assert len(rx.received) == 2
    assert caplog.records, "apprise and the notifier log at debug level"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.1" in text  # the logs are there, only the secrets are gone
    assert TOKEN not in text
    assert all(TOKEN not in (r.title + r.body + r.error) for r in records)
    assert "***" in records[0].body


def test_redact_url_keeps_scheme_and_host_only() -> None:
    assert redact_url(f"json://127.0.0.1:8080/hook/{TOKEN}") == "json://127.0.0.1:8080/***"
    assert redact_url(f"mailtos://me:{TOKEN}@smtp.example.com?to=a@b.c") == "mailtos://***@smtp.example.com/***"
    assert redact_url(f"tgram://123456:{TOKEN}/-100200") == "tgram://***/***"
    assert redact_url(f"discord://{TOKEN}/{TOKEN}#new,closed") == "discord://***/***"
    assert redact_url("ntfy://ntfy.sh") == "ntfy://ntfy.sh"
    assert redact_url("not a url") == "***"
    for url in (f"json://h.io/{TOKEN}", f"tgram://{TOKEN}/1", f"x://u:{TOKEN}@h.io"):
        assert TOKEN not in redact_url(url)
        assert any(TOKEN in s for s in url_secrets(url))


def test_split_tags() -> None:
    assert split_tags("json://h/p#new,Closed") == ("json://h/p", frozenset({"new", "closed"}))
    assert split_tags("json://h/p") == ("json://h/p", frozenset())


def test_unusable_url_is_a_clear_error_without_the_secret() -> None:
    with pytest.raises(NotifyConfigError, match=r"\[notify\]\.urls\[1\]") as info:
        AppriseNotifier(NotifyConfig(urls=[f"nosuchscheme://{TOKEN}@example.com/x"]))
    assert TOKEN not in str(info.value)
