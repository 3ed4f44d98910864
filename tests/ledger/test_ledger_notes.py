"""Signed notes, checkpoints and witness cosignatures (verify.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunlight.ledger.verify import (
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    Checkpoint,
    NoteVerifier,
    VerificationError,
    compute_key_id,
    cosign_checkpoint,
    generate_signer,
    generate_witness_signer,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key_for,
    verify_cosignature,
)

# --- Published vectors -----------------------------------------------------------------------

# From the documentation of Go's golang.org/x/mod/sumdb/note (package doc, "Example").
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n"
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
PETER_AND_ENOCH_NOTE = (
    PETER_NOTE + "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ov"
    "TG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# A real checkpoint of the transparency.dev staging CT log "arche2025h1", with the log's
# Ed25519 note signature (key ba2f06c0; the first line is an RFC 6962 signature of another
# type, which must be ignored) and four Ed25519 cosignature/v1 cosignatures by public
# witnesses. The verifier keys are those listed for this log and these witnesses in
# public witness configurations.
ARCHE_LOG_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
ARCHE_WITNESS_VKEYS = [
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
]
ARCHE_TEXT = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
ARCHE_NOTE = (
    ARCHE_TEXT + "\n"
    "— arche2025h1.staging.ct.transparency.dev "
    "zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzal"
    "ApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "— arche2025h1.staging.ct.transparency.dev "
    "ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bf"
    "TW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "— transparency.dev/DEV:witness-little-garden "
    "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4"
    "AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 "
    "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75"
    "W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de "
    "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI"
    "+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu "
    "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvV"
    "r+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)


def test_go_documentation_signature_is_reproduced() -> None:
    """Ed25519 is deterministic, so our signature must equal Go's byte for byte."""
    assert sign_note(PETER_TEXT, PETER_SKEY) == PETER_NOTE
    assert verifier_key_for(PETER_SKEY) == PETER_VKEY


def test_go_documentation_notes_open() -> None:
    text, sigs = open_note(PETER_NOTE, [PETER_VKEY])
    assert text == PETER_TEXT
    assert [(s.name, s.key_id.hex(), s.timestamp) for s in sigs] == [
        ("PeterNeumann", "c74f20a3", None)
    ]
    text, sigs = open_note(PETER_AND_ENOCH_NOTE, [PETER_VKEY, ENOCH_VKEY])
    assert text == PETER_TEXT
    assert [s.name for s in sigs] == ["PeterNeumann", "EnochRoot"]
    # Only Enoch's key known: Peter's signature is ignored, Enoch's suffices.
    assert [s.name for s in open_note(PETER_AND_ENOCH_NOTE, [ENOCH_VKEY])[1]] == ["EnochRoot"]


def test_real_world_cosigned_checkpoint() -> None:
    checkpoint, sigs = open_checkpoint(
        ARCHE_NOTE, ARCHE_LOG_VKEY, ARCHE_WITNESS_VKEYS, min_cosignatures=4
    )
    assert checkpoint.origin == "arche2025h1.staging.ct.transparency.dev"
    assert checkpoint.size == 1432088532
    assert checkpoint.format_checkpoint() == ARCHE_TEXT
    cosigs = [s for s in sigs if s.sig_type == SIG_TYPE_COSIGNATURE_V1]
    assert len(cosigs) == 4
    assert all(s.timestamp == 1779573024 for s in cosigs)
    remora_line = next(line for line in ARCHE_NOTE.splitlines() if "remora" in line)
    assert verify_cosignature(ARCHE_TEXT, remora_line, ARCHE_WITNESS_VKEYS[0]) == 1779573024
    tampered = ARCHE_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(VerificationError):
        open_note(tampered, [ARCHE_LOG_VKEY])
    with pytest.raises(VerificationError):
        open_note(tampered, ARCHE_WITNESS_VKEYS[:1])


# --- Keys ----------------------------------------------------------------------------------------


def test_generated_keys_have_the_go_format() -> None:
    skey, vkey = generate_signer("sunlight.example/log")
    assert skey.startswith("PRIVATE+KEY+sunlight.example/log+")
    verifier = parse_verifier_key(vkey)
    assert verifier.name == "sunlight.example/log"
    assert verifier.sig_type == SIG_TYPE_ED25519
    raw = base64.b64decode(vkey.split("+", 2)[2])
    assert raw[0] == 0x01
    assert len(raw) == 33
    expected_id = hashlib.sha256(b"sunlight.example/log\n\x01" + raw[1:]).digest()[:4]
    assert verifier.key_id == expected_id
    assert vkey.split("+")[1] == expected_id.hex()
    assert verifier.vkey == vkey
    assert verifier_key_for(skey) == vkey


def test_witness_keys_use_type_0x04() -> None:
    skey, vkey = generate_witness_signer("witness.example/w1")
    verifier = parse_verifier_key(vkey)
    assert verifier.sig_type == SIG_TYPE_COSIGNATURE_V1
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    # Same key, other type byte: a different key ID (domain separation).
    assert verifier.key_id == compute_key_id(verifier.name, 0x04, verifier.public_key)
    assert verifier.key_id != compute_key_id(verifier.name, 0x01, verifier.public_key)
    assert verifier_key_for(skey) == vkey


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "name",
        "name+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 hex digits
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",  # non-canonical
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # length
        PETER_SKEY,
    ],
)
def test_malformed_verifier_keys(vkey: str) -> None:
    with pytest.raises(VerificationError):
        parse_verifier_key(vkey)


def test_unknown_key_type_rejected() -> None:
    public = bytes(32)
    key_id = compute_key_id("x", 0x02, public).hex()
    vkey = f"x+{key_id}+" + base64.b64encode(b"\x02" + public).decode()
    with pytest.raises(VerificationError, match="unsupported"):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        PETER_VKEY,
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+Peter+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr",
    ],
)
def test_malformed_signer_keys(skey: str) -> None:
    with pytest.raises(ValueError):
        sign_note("text\n", skey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2028b"])
def test_invalid_key_names(name: str) -> None:
    with pytest.raises(ValueError, match="key names"):
        generate_signer(name)


# --- Signed notes ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def log_key() -> tuple[str, str]:
    return generate_signer("sunlight.example/log")


@pytest.fixture(scope="module")
def witness_key() -> tuple[str, str]:
    return generate_witness_signer("witness.example/w1")


note_texts = st.lists(
    st.text(
        st.characters(codec="utf-8", exclude_characters="\n", min_codepoint=0x20),
        max_size=30,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "".join(line + "\n" for line in lines))


@settings(max_examples=50, deadline=None)
@given(text=note_texts)
def test_sign_and_open_round_trip(text: str) -> None:
    skey, vkey = generate_signer("sunlight.example/log")
    note = sign_note(text, skey)
    assert note.startswith(text + "\n— sunlight.example/log ")
    opened, sigs = open_note(note, [vkey])
    assert opened == text
    assert len(sigs) == 1
    assert sigs[0].name == "sunlight.example/log"
    opened_bytes, _ = open_note(note.encode(), [vkey])
    assert opened_bytes == text


def test_wrong_key_rejected(log_key: tuple[str, str]) -> None:
    note = sign_note("hello\n", log_key[0])
    _, other_vkey = generate_signer("sunlight.example/log")  # same name, other key
    with pytest.raises(VerificationError, match="no verified signature"):
        open_note(note, [other_vkey])
    with pytest.raises(VerificationError, match="no verified signature"):
        open_note(note, [])


def test_known_key_with_bad_signature_rejects_the_whole_note(log_key: tuple[str, str]) -> None:
    """A key whose name and ID match but whose signature fails must not be ignored."""
    skey, vkey = log_key
    note = sign_note("hello\n", skey)
    real = parse_verifier_key(vkey)
    impostor = NoteVerifier(real.name, real.key_id, real.sig_type, bytes(range(32)))
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(note, [impostor])
    # Even when another known key signed correctly.
    other_skey, other_vkey = generate_signer("other.example")
    double = note + sign_note("hello\n", other_skey).split("\n\n", 1)[1]
    assert len(open_note(double, [vkey, other_vkey])[1]) == 2
    with pytest.raises(VerificationError, match="invalid signature"):
        open_note(double, [impostor, other_vkey])


def test_duplicate_and_unknown_signatures(log_key: tuple[str, str]) -> None:
    skey, vkey = log_key
    note = sign_note("hello\n", skey)
    sig_line = note.split("\n\n", 1)[1]
    unknown_line = sign_note("hello\n", generate_signer("stranger")[0]).split("\n\n", 1)[1]
    text, sigs = open_note(note + sig_line + unknown_line, [vkey])
    assert text == "hello\n"
    assert len(sigs) == 1


def test_every_single_byte_change_is_rejected(log_key: tuple[str, str]) -> None:
    skey, vkey = log_key
    note = sign_note(Checkpoint("sunlight.example/log", 7, bytes(32)).format_checkpoint(), skey)
    data = note.encode()
    for position in range(len(data)):
        for mask in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
            changed = bytearray(data)
            changed[position] ^= mask
            with pytest.raises(VerificationError):
                open_note(bytes(changed), [vkey])


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("hello\n— sunlight.example/log AAAA\n", "blank line"),
        ("hello\n\n", "no signature lines"),
        ("hello\n\nnot a signature\n", "em dash"),
        ("hello\n\n— sunlight.example/log\n", "key name"),
        ("hello\n\n—  AAAAAAAA\n", "key name"),
        ("hello\n\n— a+b AAAAAAAA\n", "key name"),
        ("hello\n\n— name AAAA\n", "too short"),
        ("hello\n\n— name AAAAAAB=\n", "canonical"),
        ("hello\n\n— name AAAAAAAA\n\n", "no signature lines"),
        ("hel\rlo\n\n— name AAAAAAAA\n", "control"),
        ("hello\t\n\n— name AAAAAAAA\n", "control"),
        ("hello\n\n— name AAAAAAAA", "end with a newline"),
        ("hello\n\n- name AAAAAAAA\n", "em dash"),
        ("hello\ud800\n\n— name AAAAAAAA\n", "UTF-8"),
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        open_note(note, [PETER_VKEY])


def test_non_utf8_note_rejected() -> None:
    data = PETER_NOTE.encode().replace(b"cryptography", b"crypt\xffgraphy")
    with pytest.raises(VerificationError, match="UTF-8"):
        open_note(data, [PETER_VKEY])


def test_too_many_signatures_rejected() -> None:
    line = PETER_NOTE.split("\n\n", 1)[1]
    with pytest.raises(VerificationError, match="too many"):
        open_note(PETER_NOTE + line * 100, [PETER_VKEY])
    assert open_note(PETER_NOTE + line * 15, [PETER_VKEY])[0] == PETER_TEXT


@pytest.mark.parametrize("text", ["no newline", "a\r\n", "tab\there\n", "\ud800\n"])
def test_sign_note_rejects_bad_text(text: str, log_key: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        sign_note(text, log_key[0])


def test_note_text_may_contain_blank_lines(log_key: tuple[str, str]) -> None:
    skey, vkey = log_key
    text = "first\n\nthird\n"
    assert open_note(sign_note(text, skey), [vkey])[0] == text


def test_ambiguous_verifiers_rejected(log_key: tuple[str, str]) -> None:
    real = parse_verifier_key(log_key[1])
    twin = NoteVerifier(real.name, real.key_id, real.sig_type, bytes(32))
    with pytest.raises(VerificationError, match="ambiguous"):
        open_note(sign_note("x\n", log_key[0]), [real, twin])


# --- Checkpoints ----------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    origin=st.text(st.characters(min_codepoint=0x21, codec="utf-8"), min_size=1),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extra=st.lists(
        st.text(st.characters(min_codepoint=0x20, codec="utf-8"), min_size=1),
        max_size=3,
    ),
)
def test_checkpoint_round_trip(origin: str, size: int, root: bytes, extra: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extra))
    text = checkpoint.format_checkpoint()
    assert parse_checkpoint(text) == checkpoint
    assert text.count("\n") == 3 + len(extra)


def test_checkpoint_format_is_exact() -> None:
    checkpoint = Checkpoint("example.com/log", 20852163, bytes(range(32)), ("ext",))
    assert checkpoint.format_checkpoint() == (
        "example.com/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next\n"
    )
    assert Checkpoint("o", 0, bytes(32)).format_checkpoint().splitlines()[1] == "0"


ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"origin\n5\n{ROOT_B64}",  # no final newline
        "origin\n5\n",  # too few lines
        f"\n5\n{ROOT_B64}\n",  # empty origin
        f"origin\n05\n{ROOT_B64}\n",  # leading zero
        f"origin\n+5\n{ROOT_B64}\n",
        f"origin\n 5\n{ROOT_B64}\n",
        f"origin\n5_0\n{ROOT_B64}\n",
        f"origin\n\u0665\n{ROOT_B64}\n",  # Arabic-Indic digit five
        f"origin\n-1\n{ROOT_B64}\n",
        f"origin\n{2**64}\n{ROOT_B64}\n",
        "origin\n5\nAAAA\n",  # root of the wrong length
        f"origin\n5\n{ROOT_B64[:-1]}\n",  # invalid base64
        f"origin\n5\n{ROOT_B64[:-2]}B=\n",  # non-canonical base64
        f"origin\n5\n{ROOT_B64}\n\n",  # empty extension line
        f"origin\n5\n{ROOT_B64}\next\n\n",
        f"ori\tgin\n5\n{ROOT_B64}\n",
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(VerificationError):
        parse_checkpoint(text)


def test_checkpoint_constructor_validates() -> None:
    with pytest.raises(ValueError, match="root hash"):
        Checkpoint("o", 1, b"short")
    with pytest.raises(ValueError, match="size"):
        Checkpoint("o", -1, bytes(32))
    with pytest.raises(ValueError, match="origin"):
        Checkpoint("", 1, bytes(32))
    with pytest.raises(ValueError, match="extension"):
        Checkpoint("o", 1, bytes(32), ("",))


# --- Cosignatures ---------------------------------------------------------------------------------


def _checkpoint_text() -> str:
    return Checkpoint("sunlight.example/log", 42, hashlib.sha256(b"r").digest()).format_checkpoint()


def test_cosignature_round_trip(log_key: tuple[str, str], witness_key: tuple[str, str]) -> None:
    text = _checkpoint_text()
    line = cosign_checkpoint(text, witness_key[0], 1700000000)
    assert line.startswith("— witness.example/w1 ")
    assert line.endswith("\n")
    payload = base64.b64decode(line.split(" ")[2])
    assert len(payload) == 4 + 8 + 64
    assert payload[:4] == parse_verifier_key(witness_key[1]).key_id
    assert int.from_bytes(payload[4:12], "big") == 1700000000
    assert verify_cosignature(text, line, witness_key[1]) == 1700000000

    note = sign_note(text, log_key[0]) + line
    checkpoint, sigs = open_checkpoint(note, log_key[1], [witness_key[1]], min_cosignatures=1)
    assert checkpoint == parse_checkpoint(text)
    assert open_checkpoint(note, log_key[1], origin="sunlight.example/log")[0] == checkpoint
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(note, log_key[1], origin="sunlight.example/other")
    assert [(s.sig_type, s.timestamp) for s in sigs] == [
        (SIG_TYPE_ED25519, None),
        (SIG_TYPE_COSIGNATURE_V1, 1700000000),
    ]
    with pytest.raises(VerificationError, match="1 witness cosignatures, 2 needed"):
        open_checkpoint(note, log_key[1], [witness_key[1]], min_cosignatures=2)
    with pytest.raises(VerificationError, match="not signed by the log key"):
        open_checkpoint(
            sign_note(text, generate_signer("x")[0]) + line,
            log_key[1],
            [witness_key[1]],
        )


def test_cosignature_signed_message_is_as_specified(witness_key: tuple[str, str]) -> None:
    """Check the exact bytes of c2sp.org/tlog-cosignature with the raw public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = _checkpoint_text()
    line = cosign_checkpoint(text, witness_key[0], 1679315147)
    payload = base64.b64decode(line.split(" ")[2])
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    public = parse_verifier_key(witness_key[1]).public_key
    Ed25519PublicKey.from_public_bytes(public).verify(payload[12:], message)


def test_cosignature_tampering(log_key: tuple[str, str], witness_key: tuple[str, str]) -> None:
    text = _checkpoint_text()
    line = cosign_checkpoint(text, witness_key[0], 1700000000)
    other_text = Checkpoint("sunlight.example/log", 43, bytes(32)).format_checkpoint()
    with pytest.raises(VerificationError, match="invalid signature"):
        verify_cosignature(other_text, line, witness_key[1])
    # Changing the timestamp (it is signed).
    payload = bytearray(base64.b64decode(line.split(" ")[2]))
    payload[11] ^= 1
    forged = f"— witness.example/w1 {base64.b64encode(bytes(payload)).decode()}\n"
    with pytest.raises(VerificationError, match="invalid signature"):
        verify_cosignature(text, forged, witness_key[1])
    # Any changed byte of the whole cosigned checkpoint.
    data = (sign_note(text, log_key[0]) + line).encode()
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x04
        with pytest.raises(VerificationError):
            open_checkpoint(bytes(changed), log_key[1], [witness_key[1]], min_cosignatures=1)


def test_cosignature_key_types_are_not_interchangeable(
    log_key: tuple[str, str], witness_key: tuple[str, str]
) -> None:
    text = _checkpoint_text()
    with pytest.raises(ValueError, match="witness key"):
        cosign_checkpoint(text, log_key[0], 1)
    with pytest.raises(ValueError, match="Ed25519 note key"):
        sign_note(text, witness_key[0])
    line = cosign_checkpoint(text, witness_key[0], 1)
    with pytest.raises(VerificationError, match="cosignature key"):
        verify_cosignature(text, line, log_key[1])
    with pytest.raises(VerificationError, match="Ed25519 note key"):
        open_checkpoint(sign_note(text, log_key[0]) + line, witness_key[1])
    # The same Ed25519 key read as a plain note key has another key ID, so a
    # cosignature line is simply not recognised.
    witness = parse_verifier_key(witness_key[1])
    as_note_key = NoteVerifier(
        witness.name,
        compute_key_id(witness.name, SIG_TYPE_ED25519, witness.public_key),
        SIG_TYPE_ED25519,
        witness.public_key,
    )
    with pytest.raises(VerificationError, match="no verified signature"):
        open_note(text + "\n" + line, [as_note_key])


def test_cosignature_input_validation(witness_key: tuple[str, str]) -> None:
    text = _checkpoint_text()
    for bad_time in (-1, 2**63):
        with pytest.raises(ValueError, match="timestamp"):
            cosign_checkpoint(text, witness_key[0], bad_time)
    with pytest.raises(VerificationError):
        cosign_checkpoint("not a checkpoint\n", witness_key[0], 1)
    line = cosign_checkpoint(text, witness_key[0], 1)
    with pytest.raises(VerificationError, match="one signature line"):
        verify_cosignature(text, line + line, witness_key[1])
    other = generate_witness_signer("witness.example/w2")[1]
    with pytest.raises(VerificationError, match="not by the given witness"):
        verify_cosignature(text, line, other)


def test_cosignature_timestamp_above_2_63_rejected(witness_key: tuple[str, str]) -> None:
    text = _checkpoint_text()
    line = cosign_checkpoint(text, witness_key[0], 5)
    payload = bytearray(base64.b64decode(line.split(" ")[2]))
    payload[4] |= 0x80
    forged = f"— witness.example/w1 {base64.b64encode(bytes(payload)).decode()}\n"
    with pytest.raises(VerificationError, match="2\\^63"):
        verify_cosignature(text, forged, witness_key[1])
