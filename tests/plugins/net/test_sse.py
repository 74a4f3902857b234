"""Server-Sent Events framing: every line ending, split chunks, bad bytes, bounded memory."""

from __future__ import annotations

from custom_components.micboard.plugins.net.sse import (
    ServerSentEvent,
    SSEDecoder,
)


def feed_all(decoder: SSEDecoder, *chunks: bytes) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events


def test_open_event_without_space_and_message_with_space() -> None:
    events = feed_all(
        SSEDecoder(),
        b'event:open\ndata:{"sessionUUID":"u"}\n\n',
        b'data: {"/api/channel/0/level":{"value":-1}}\n\n',
    )
    assert events == [
        ServerSentEvent("open", '{"sessionUUID":"u"}'),
        ServerSentEvent("", '{"/api/channel/0/level":{"value":-1}}'),
    ]


def test_crlf_split_across_chunks_and_bare_cr() -> None:
    events = feed_all(SSEDecoder(), b"data:a\r", b"\n\r", b"\ndata:b\r\r", b"data:c\r\n\r\n")
    assert [event.data for event in events] == ["a", "b", "c"]


def test_event_split_in_the_middle_of_a_utf8_character() -> None:
    text = 'data:{"name":"Größe"}\n\n'.encode()
    cut = text.index(b"\xc3") + 1
    events = feed_all(SSEDecoder(), text[:cut], text[cut:])
    assert events == [ServerSentEvent("", '{"name":"Größe"}')]


def test_multi_line_data_comments_id_and_retry() -> None:
    events = feed_all(SSEDecoder(), b": ping\nid: 5\nretry: 10\ndata:1\ndata:2\nfoo\n\n")
    assert events == [ServerSentEvent("", "1\n2", "5")]


def test_blank_lines_alone_dispatch_nothing() -> None:
    assert feed_all(SSEDecoder(), b"\n\n\r\n") == []


def test_named_event_without_data_is_dispatched() -> None:
    assert feed_all(SSEDecoder(), b"event:close\n\n") == [ServerSentEvent("close", "")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    (event,) = feed_all(SSEDecoder(), b"data:\xff\xfe\n\n")
    assert event.data == "\ufffd\ufffd"


def test_oversized_line_is_dropped_up_to_its_end() -> None:
    decoder = SSEDecoder(max_line=16)
    events = feed_all(decoder, b"data:" + b"x" * 10, b"y" * 20, b"z\ndata:ok\n\n")
    assert events == [ServerSentEvent("", "ok")]
    assert decoder.dropped == 1


def test_oversized_event_is_dropped() -> None:
    decoder = SSEDecoder(max_line=100, max_event=20)
    events = feed_all(
        decoder, b"data:" + b"a" * 15 + b"\n" + b"data:" + b"b" * 15 + b"\ndata:c\n\n"
    )
    assert events == []
    assert decoder.dropped == 1
    assert feed_all(decoder, b"data:small\n\n") == [ServerSentEvent("", "small")]


def test_id_with_nul_is_ignored() -> None:
    assert feed_all(SSEDecoder(), b"id:a\x00b\ndata:x\n\n") == [ServerSentEvent("", "x")]


def test_runs_of_blank_lines_in_every_form_dispatch_nothing() -> None:
    decoder = SSEDecoder()
    assert feed_all(decoder, b"\n" * 1000, b"\r" * 1000, b"\r\n" * 1000, b"\r") == []
    # The CR that ended the last chunk and this LF are one line end.
    assert feed_all(decoder, b"\ndata:x\r", b"\n\r\n") == [ServerSentEvent("", "x")]


def test_blank_lines_after_data_dispatch_it_once() -> None:
    events = feed_all(SSEDecoder(), b"data:a\n", b"\n" * 500, b"data:b\r\r\r\r")
    assert events == [ServerSentEvent("", "a"), ServerSentEvent("", "b")]


def test_a_line_split_over_many_chunks() -> None:
    decoder = SSEDecoder()
    pieces = [b"data:", *(b"x" for _ in range(1000)), b"\n\n"]
    assert feed_all(decoder, *pieces) == [ServerSentEvent("", "x" * 1000)]


def test_slices_cover_the_chunk_in_order() -> None:
    from custom_components.micboard.plugins.net.sse import slices  # noqa: PLC0415

    chunk = bytes(range(256)) * 100
    parts = list(slices(chunk, 1000))
    assert b"".join(parts) == chunk
    assert max(len(part) for part in parts) == 1000
    assert list(slices(b"", 1000)) == []
