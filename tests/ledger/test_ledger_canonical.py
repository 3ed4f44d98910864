"""RFC 8785 canonical JSON, checked against the RFC's own examples, and the entry format."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sunlight.ledger.canonical import CanonicalizationError, canonical_json, format_number
from sunlight.ledger.entry import (
    EventFields,
    build_entry,
    entry_document,
    private_commitment,
    private_part,
)

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical serialisations.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_rfc8785_number_table(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert format_number(value) == expected


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(CanonicalizationError):
        format_number(struct.unpack(">d", bytes.fromhex(bits))[0])


def test_rfc8785_section_3_2_2_example() -> None:
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(source)) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorting() -> None:
    source = (
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet '
        'With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": '
        '"Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}'
    )
    values = [
        json.loads(b)
        for b in canonical_json(json.loads(source)).decode().strip("{}").split(",")
        for b in [b.split(":", 1)[1]]
    ]
    assert values == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


def test_refuses_what_json_cannot_say_exactly() -> None:
    for bad in (2**53 + 1, "\ud800", {1: "x"}, b"bytes", float("nan"), object()):
        with pytest.raises(CanonicalizationError):
            canonical_json(bad)
    assert canonical_json(2**53) == b"9007199254740992"
    assert canonical_json([True, None, -0.0, 1.0]) == b"[true,null,0,1]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips_and_is_stable(value: object) -> None:
    text = canonical_json(value)
    # RFC 8785 numbers are IEEE 754 doubles: parse them back as such.
    parsed = json.loads(text, parse_int=float)
    assert canonical_json(parsed) == text  # idempotent: re-canonicalising changes nothing
    assert parsed == value or value != value


def test_numbers_parse_back_to_the_same_double() -> None:
    for x in (0.1, 1 / 3, 1e-7, 123456789.125, 5e-324, 1.7976931348623157e308, 1e21, 1e20):
        assert float(format_number(x)) == x


EVENT = EventFields(
    id=42,
    occurred_at=datetime(2026, 5, 8, 19, 3, 0, 123456, tzinfo=UTC),
    actor="user:jdoe",
    action="ingest",
    object_type="recording",
    object_id="7",
    outcome="success",
    reason="Officer Jane Roe's stop at 1200 Main St",
    details={"sha256": "ab" * 32, "filename": "roe-1200-main.mp4", "officer": "4471"},
)


def test_entry_shows_public_fields_and_hides_private_ones() -> None:
    salt = bytes(range(32))
    entry = build_entry(EVENT, salt)
    parsed = json.loads(entry)
    assert parsed == {
        "v": 1,
        "event": 42,
        "time": "2026-05-08T19:03:00.123456Z",
        "action": "ingest",
        "object": {"type": "recording", "id": "7"},
        "outcome": "success",
        "hashes": {"sha256": "ab" * 32},
        "private": private_commitment(salt, private_part(EVENT)),
    }
    for secret in ("jdoe", "Roe", "Main", "roe-1200", "4471"):
        assert secret not in entry.decode()
    assert canonical_json(parsed) == entry
    # A different salt gives an unrelated commitment: short values cannot be guessed.
    assert build_entry(EVENT, bytes(32)) != entry


events = st.builds(
    EventFields,
    id=st.integers(min_value=0, max_value=2**53),
    occurred_at=st.datetimes(timezones=st.just(UTC)),
    actor=st.text(),
    action=st.text(),
    object_type=st.text(),
    object_id=st.text(),
    outcome=st.text(),
    reason=st.none() | st.text(),
    details=st.dictionaries(
        st.sampled_from(["sha256", "proxy_sha256", "filename", "n", "x\U0001f600", "\ufb33"])
        | st.text(max_size=5),
        json_values,
        max_size=5,
    ),
)


@given(events, st.binary(min_size=32, max_size=32))
def test_fast_entry_layout_equals_the_generic_canonicaliser(
    event: EventFields, salt: bytes
) -> None:
    assert build_entry(event, salt) == canonical_json(entry_document(event, salt))
    assert private_part(event) == canonical_json(
        {"actor": event.actor, "reason": event.reason, "details": event.details}
    )


def test_private_fields_json_cannot_carry_exactly_still_seal() -> None:
    odd = EventFields(**{**EVENT.__dict__, "details": {"size": 2**60 + 1}})
    other = EventFields(**{**EVENT.__dict__, "details": {"size": 2**60 + 3}})
    assert private_part(odd) != private_part(other)
    assert json.loads(build_entry(odd, bytes(32)))["event"] == 42
