"""notes: C2SP signed notes, checkpoints and key handovers, byte for byte."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activitylog.notes import (
    SIGNATURE_PREFIX,
    Checkpoint,
    checkpoint_text,
    cosign,
    handover_text,
    parse_checkpoint,
    parse_handover,
    sign_checkpoint,
    sign_handover,
    sign_note,
    signer_of,
    split_note,
    verified_checkpoint,
)
from activitylog.signing import HANDOVER_HEADER, KeyRing, PublicKey, SigningKey

WS = "acme"
ROOT = hashlib.sha256(b"root").digest()
CHAIN = hashlib.sha256(b"chain").hexdigest()
T0 = "2026-03-01T12:00:00.000000Z"
T1 = "2026-03-02T12:00:00.000000Z"
T2 = "2026-03-03T12:00:00.000000Z"

#: golang.org/x/mod/sumdb/note's example, and the C2SP signed-note spec's example.
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2"
    "ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def key(seed: int) -> SigningKey:
    """A fixed key; seeds 1..7 give verifier keys without '+' in their base64."""
    return SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def ring(*keys: SigningKey) -> KeyRing:
    return KeyRing({k.public.key_hash: k.public for k in keys})


def checkpoint(
    signer: SigningKey, *, origin: str = WS, size: int = 7, time: str = T0, prev: int = 5
) -> Checkpoint:
    return sign_checkpoint(signer, origin, size, ROOT, CHAIN, prev, time)


# -- signed notes --------------------------------------------------------------------------


def test_signed_note_format() -> None:
    signer = key(1)
    text = "hello\nworld\n"
    note = sign_note(text, signer)
    head, line = note.split("\n\n")
    assert head + "\n" == text
    assert SIGNATURE_PREFIX == "\u2014 "
    assert line.startswith("\u2014 activitylog ")
    assert line.endswith("\n")
    assert line.count("\n") == 1
    data = base64.b64decode(line.removeprefix("\u2014 activitylog ").strip(), validate=True)
    raw = signer.public.raw
    assert data[:4] == hashlib.sha256(b"activitylog\n\x01" + raw).digest()[:4]
    assert len(data) == 68
    # an independent Ed25519 check of the signature over the text's bytes
    Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32).public_key().verify(
        data[4:], text.encode()
    )
    assert signer_of(note, ring(signer)) == signer.public


def test_go_sumdb_note_example_signs_byte_for_byte() -> None:
    peter = SigningKey(Ed25519PrivateKey.from_private_bytes(GO_SEED), name="PeterNeumann")
    assert sign_note(GO_TEXT, peter) == GO_NOTE
    assert signer_of(GO_NOTE, ring(peter)) == peter.public


def test_c2sp_spec_example_verifies() -> None:
    public = PublicKey.from_vkey(SPEC_VKEY)
    assert signer_of(SPEC_NOTE, KeyRing({public.key_hash: public})) == public
    text, signatures = split_note(SPEC_NOTE)
    assert text == "This is an example message.\n"
    assert [(s.name, s.key_hash.hex()) for s in signatures] == [("example.com/foo", "530d903a")]


def test_sign_note_needs_a_final_newline() -> None:
    with pytest.raises(ValueError, match="newline"):
        sign_note("no newline", key(1))


def test_tampered_text_refused() -> None:
    note = sign_note("size 7\n", key(1))
    assert signer_of(note.replace("size 7", "size 8"), ring(key(1))) is None
    assert signer_of(note.replace("size 7\n", "size 7 \n", 1), ring(key(1))) is None


def test_wrong_key_refused() -> None:
    note = sign_note("text\n", key(1))
    assert signer_of(note, ring(key(2))) is None
    assert signer_of(note, KeyRing()) is None


def test_signature_under_another_name_refused() -> None:
    note = sign_note("text\n", key(1))
    renamed = note.replace("\u2014 activitylog ", "\u2014 other ")
    assert signer_of(renamed, ring(key(1))) is None


def test_signature_with_a_mismatched_key_hash_refused() -> None:
    note = sign_note("text\n", key(1))
    text, (sig,) = split_note(note)
    forged_hash = base64.b64encode(key(2).public.key_hash + sig.signature).decode()
    forged = f"{text}\n\u2014 activitylog {forged_hash}\n"
    assert signer_of(forged, ring(key(1), key(2))) is None


def test_unknown_extra_signatures_are_ignored() -> None:
    note = cosign(sign_note("text\n", key(1)), key(2))
    assert signer_of(note, ring(key(2))) == key(2).public
    assert signer_of(note, ring(key(1))) == key(1).public
    assert signer_of(note, ring(key(3))) is None


def test_cosign() -> None:
    single = sign_note("text\n", key(1))
    double = cosign(single, key(2))
    assert double.startswith(single)
    text, signatures = split_note(double)
    assert text == "text\n"
    assert [s.key_hash for s in signatures] == [key(1).public.key_hash, key(2).public.key_hash]
    assert all(s.name == "activitylog" for s in signatures)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.rstrip("\n"),  # no final newline
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n.replace("\u2014 ", "- "),  # not an em dash
        lambda n: n.replace("\u2014 activitylog ", "\u2014 activitylog  "),  # two spaces
        lambda n: n.replace("\u2014 activitylog ", "\u2014 activitylog x "),  # three fields
        lambda n: n[: n.index("\u2014")] + "\u2014 activitylog !!!!\n",  # not base64
        lambda n: n[: n.index("\u2014")] + "\u2014 activitylog AAAA\n",  # too short
        lambda n: n + "garbage\n",  # an extra malformed line
        lambda n: n + "\u2014 activitylog\n",  # an extra line without a signature
        lambda n: n[: n.index("\u2014")],  # no signature at all
    ],
    ids=[
        "no-final-newline",
        "no-blank-line",
        "hyphen",
        "two-spaces",
        "three-fields",
        "not-base64",
        "short",
        "extra-garbage",
        "extra-empty-signature",
        "unsigned",
    ],
)
def test_malformed_notes_refused(mangle: Callable[[str], str]) -> None:
    note = sign_note("text\n", key(1))
    bad = mangle(note)
    assert signer_of(bad, ring(key(1))) is None
    with pytest.raises(ValueError, match=r"signed note|signature"):
        split_note(bad)


# -- checkpoints ---------------------------------------------------------------------------


def test_checkpoint_text_format() -> None:
    text = checkpoint_text(WS, 7, ROOT, CHAIN, 5, T0)
    assert text == (
        f"acme\n7\n{base64.b64encode(ROOT).decode()}\nchain {CHAIN}\nprev 5\ntime {T0}\n"
    )


@pytest.mark.parametrize("origin", ["", "ac\nme", "tab\there", "del\x7f", "nul\x00", "\x1f"])
def test_a_checkpoint_origin_is_one_line_of_printable_text(origin: str) -> None:
    with pytest.raises(ValueError, match="one line of printable text"):
        checkpoint_text(origin, 7, ROOT, CHAIN, 5, T0)


def test_checkpoint_note_exact() -> None:
    signer = key(1)
    made = checkpoint(signer)
    sig = signer.sign(checkpoint_text(WS, 7, ROOT, CHAIN, 5, T0).encode())
    line = base64.b64encode(signer.public.key_hash + sig).decode()
    assert made.note == (
        f"acme\n7\n{base64.b64encode(ROOT).decode()}\nchain {CHAIN}\nprev 5\ntime {T0}\n"
        f"\n\u2014 activitylog {line}\n"
    )
    assert (made.origin, made.size, made.root, made.chain_hash, made.prev, made.time) == (
        WS,
        7,
        ROOT,
        CHAIN,
        5,
        T0,
    )
    assert made.workspace == WS
    assert made.seq == 7


def test_checkpoint_round_trip() -> None:
    made = checkpoint(key(1), origin="team/été 2026", size=123456789, prev=0)
    parsed = parse_checkpoint(made.note)
    assert parsed == made
    assert verified_checkpoint(made.note, ring(key(1))) == (made, None)


def test_checkpoint_first_three_lines_are_tlog_checkpoint() -> None:
    """tlog tooling reads origin, size and base64 root, and ignores what follows."""
    lines = checkpoint(key(1)).note.split("\n")
    assert lines[:3] == [WS, "7", base64.b64encode(ROOT).decode()]
    assert base64.b64decode(lines[2]) == ROOT


def resign(note: str, old: str, new: str, signer: SigningKey | None = None) -> str:
    """``note`` with its text changed and signed again (a valid signature)."""
    text, _ = split_note(note)
    assert old in text
    return sign_note(text.replace(old, new, 1), signer or key(1))


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("\n7\n", "\n07\n", "decimal"),
        ("\n7\n", "\n-7\n", "decimal"),
        ("\n7\n", "\n+7\n", "decimal"),
        ("\n7\n", "\n7.0\n", "decimal"),
        ("\n7\n", "\n 7\n", "decimal"),
        ("\n7\n", "\n\n", r"decimal|signed note"),
        ("\n7\n", "\nseven\n", "decimal"),
        ("\n7\n", "\n0x7\n", "decimal"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(ROOT[:31]).decode(), "SHA-256"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(ROOT + b"!").decode(), "SHA-256"),
        (base64.b64encode(ROOT).decode(), ROOT.hex(), r"base64|SHA-256"),
        (base64.b64encode(ROOT).decode(), "!!!!", "base64"),
        ("prev 5\n", "", "prev"),
        ("prev 5\n", "prev five\n", "prev"),
        ("prev 5\n", "prev -5\n", "prev"),
    ],
)
def test_malformed_checkpoints_refused(old: str, new: str, match: str) -> None:
    note = resign(checkpoint(key(1)).note, old, new)
    with pytest.raises(ValueError, match=match):
        parse_checkpoint(note)
    with pytest.raises(ValueError, match=match):
        verified_checkpoint(note, ring(key(1)))


def test_checkpoint_with_too_few_lines_refused() -> None:
    with pytest.raises(ValueError, match="origin, a size and a root"):
        parse_checkpoint(sign_note("acme\n7\n", key(1)))


@pytest.mark.parametrize(
    "size", ["\u0663", "\uff17", "\u0967"], ids=["arabic", "fullwidth", "devanagari"]
)
def test_checkpoint_size_must_be_ascii_decimal(size: str) -> None:
    note = resign(checkpoint(key(1)).note, "\n7\n", f"\n{size}\n")
    with pytest.raises(ValueError, match="decimal"):
        parse_checkpoint(note)


def test_a_crafted_origin_cannot_sign_for_another_workspace() -> None:
    forged_root = base64.b64encode(hashlib.sha256(b"forged").digest()).decode()
    origin = f"victim\n999\n{forged_root}"
    try:
        made = sign_checkpoint(key(1), origin, 1, ROOT, CHAIN, 0, T0)
        parsed = parse_checkpoint(made.note)
    except ValueError:
        return  # refused: fine
    assert (parsed.origin, parsed.size) == (origin, 1)


def test_unknown_extension_lines_are_ignored() -> None:
    note = resign(checkpoint(key(1)).note, "prev 5\n", "prev 5\nnew-extension value\nbare\n")
    parsed = parse_checkpoint(note)
    assert (parsed.size, parsed.prev, parsed.chain_hash, parsed.time) == (7, 5, CHAIN, T0)


def test_verified_checkpoint_problems() -> None:
    made = checkpoint(key(1))
    parsed, problem = verified_checkpoint(made.note, ring(key(2)))
    assert parsed == made
    assert problem == "signature does not verify with any known public key"
    tampered = made.note.replace("prev 5", "prev 4")
    assert verified_checkpoint(tampered, ring(key(1)))[1] is not None


def test_verified_checkpoint_by_a_retired_key() -> None:
    old, new = key(1), key(2)
    keys = ring(old)
    keys.add_handovers([sign_handover(old, new, T1)])
    assert verified_checkpoint(checkpoint(old, time=T0).note, keys)[1] is None
    late = checkpoint(old, time=T2).note
    assert verified_checkpoint(late, keys)[1] == (
        f"signed by key {old.public.key_id} after it was retired"
    )
    assert verified_checkpoint(checkpoint(new, time=T2).note, keys)[1] is None
    # the new key cannot sign for a time before it took over
    assert verified_checkpoint(checkpoint(new, time=T0).note, keys)[1] is not None


# -- handovers -----------------------------------------------------------------------------


def test_handover_text_and_signatures() -> None:
    old, new = key(1), key(2)
    assert handover_text(old.public, new.public, T1, T2) == (
        f"{HANDOVER_HEADER}\nold {old.public.vkey()}\nnew {new.public.vkey()}\ntime {T1}\n"
        f"until {T2}\n"
    )
    note = sign_handover(old, new, T1)
    text, signatures = split_note(note)
    assert text == handover_text(old.public, new.public, T1, T1)
    assert [s.key_hash for s in signatures] == [old.public.key_hash, new.public.key_hash]
    handover = parse_handover(note, ring(old))
    assert handover is not None
    assert (handover.old, handover.new, handover.time, handover.note) == (
        old.public,
        new.public,
        T1,
        note,
    )


def test_handover_needs_the_old_key_in_the_ring() -> None:
    note = sign_handover(key(1), key(2), T1)
    assert parse_handover(note, ring(key(2))) is None
    assert parse_handover(note, KeyRing()) is None
    assert parse_handover(note, ring(key(3))) is None


def test_handover_needs_both_signatures() -> None:
    old, new = key(1), key(2)
    text = handover_text(old.public, new.public, T1, T1)
    assert parse_handover(sign_note(text, old), ring(old)) is None  # new key never signed
    assert parse_handover(sign_note(text, new), ring(old, new)) is None  # old key never signed
    # a third key cannot stand in for either
    assert parse_handover(cosign(sign_note(text, old), key(3)), ring(old, key(3))) is None
    assert parse_handover(cosign(sign_note(text, new), key(3)), ring(old, key(3))) is None
    # either order of signatures is fine
    assert parse_handover(cosign(sign_note(text, new), old), ring(old)) is not None


@pytest.mark.parametrize(
    ("old_text", "new_text"),
    [
        (HANDOVER_HEADER, "other key handover"),
        (f"time {T1}", f"when {T1}"),
        (f"until {T1}\n", f"until {T1}\nextra line\n"),
        (f"until {T1}\n", ""),
    ],
)
def test_handover_malformed_refused(old_text: str, new_text: str) -> None:
    old, new = key(1), key(2)
    text = handover_text(old.public, new.public, T1, T1).replace(old_text, new_text)
    note = cosign(sign_note(text, old), new)
    assert parse_handover(note, ring(old)) is None


def test_handover_tampered_refused() -> None:
    note = sign_handover(key(1), key(2), T1)
    assert parse_handover(note.replace(T1, T2), ring(key(1))) is None
    assert parse_handover(note.replace("\n\n", "\n"), ring(key(1))) is None
    assert parse_handover("garbage", ring(key(1))) is None


def test_handover_to_a_key_with_plus_in_its_vkey() -> None:
    old, new = key(1), key(8)
    assert "+" in new.public.vkey().split("+", 2)[2]
    assert parse_handover(sign_handover(old, new, T1), ring(old)) is not None
