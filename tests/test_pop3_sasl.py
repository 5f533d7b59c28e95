"""Client SASL mechanisms and APOP against the RFC test vectors, plus hostile challenges."""

from __future__ import annotations

import base64
import json

import pytest

from tui_mail.pop3.sasl import (
    CramMD5,
    Login,
    OAuthBearer,
    Plain,
    SaslFailure,
    ScramSHA256,
    XOAuth2,
    apop_digest,
    choose_auto,
    create_mechanism,
    saslprep,
)

# RFC 7677 section 3.
RFC7677_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC7677_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def rfc7677_scram() -> ScramSHA256:
    return ScramSHA256("user", "pencil", nonce=RFC7677_NONCE)


def test_apop_rfc1939_example() -> None:
    digest = apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf")
    assert digest == "c4c9334bac560ecc979e58001b3e22fb"


def test_cram_md5_rfc2195_example() -> None:
    mech = CramMD5("tim", "tanstaaftanstaaf")
    assert mech.initial_response() is None
    response = mech.respond(b"<1896.697170952@postoffice.reston.mci.net>")
    assert response == b"tim b913a602c7eda7a495b4e6e7334d3890"
    with pytest.raises(SaslFailure):
        mech.respond(b"<again@host>")


def test_cram_md5_refuses_empty_challenge() -> None:
    with pytest.raises(SaslFailure):
        CramMD5("tim", "pw").respond(b"")


def test_scram_sha256_rfc7677_vector() -> None:
    mech = rfc7677_scram()
    assert mech.initial_response() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert mech.respond(RFC7677_SERVER_FIRST) == RFC7677_CLIENT_FINAL
    assert mech.respond(RFC7677_SERVER_FINAL) == b""
    mech.check_success()


def test_scram_rejects_a_wrong_server_signature() -> None:
    mech = rfc7677_scram()
    mech.respond(RFC7677_SERVER_FIRST)
    forged = b"v=" + base64.b64encode(b"\0" * 32)
    with pytest.raises(SaslFailure) as info:
        mech.respond(forged)
    assert info.value.untrusted
    with pytest.raises(SaslFailure):
        mech.check_success()


def test_scram_success_without_server_proof_is_untrusted() -> None:
    mech = rfc7677_scram()
    mech.respond(RFC7677_SERVER_FIRST)
    with pytest.raises(SaslFailure) as info:
        mech.check_success()
    assert info.value.untrusted


@pytest.mark.parametrize(
    "server_first",
    [
        b"r=someoneelse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nonce not ours
        b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nothing added by server
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1",  # downgraded iterations
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999",  # CPU bomb
        b"r=rOprNGfwEbeRWgbNEkqOxyz,s=not base64!,i=4096",
        b"r=rOprNGfwEbeRWgbNEkqOxyz,i=4096",
        b"m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"\xff\xfe",
    ],
)
def test_scram_rejects_bad_server_first(server_first: bytes) -> None:
    with pytest.raises(SaslFailure):
        rfc7677_scram().respond(server_first)


def test_scram_server_error_attribute() -> None:
    mech = rfc7677_scram()
    mech.respond(RFC7677_SERVER_FIRST)
    with pytest.raises(SaslFailure) as info:
        mech.respond(b"e=invalid-proof")
    assert "invalid-proof" in str(info.value)


def test_scram_escapes_user_name() -> None:
    mech = ScramSHA256("a=b,c", "pw", nonce="abc")
    assert mech.initial_response() == b"n,,n=a=3Db=2Cc,r=abc"


def test_plain_and_login() -> None:
    assert Plain("joe", "secret").initial_response() == b"\0joe\0secret"
    with pytest.raises(SaslFailure):
        Plain("joe", "secret").respond(b"anything")
    login = Login("joe", "secret")
    assert login.initial_response() is None
    assert login.respond(b"Username:") == b"joe"
    assert login.respond(b"Password:") == b"secret"
    with pytest.raises(SaslFailure):
        login.respond(b"More?")


def test_xoauth2_message_and_error_acknowledgement() -> None:
    mech = XOAuth2("me@example.com", "ya29.token")
    assert not mech.initial_response_allowed  # always two-step: AUTH XOAUTH2, then the token
    assert mech.initial_response() == b"user=me@example.com\x01auth=Bearer ya29.token\x01\x01"
    error = json.dumps({"status": "401", "schemes": "Bearer"}).encode()
    assert mech.respond(error) == b""
    assert mech.failure_hint == "token refused (status 401)"
    with pytest.raises(SaslFailure):
        mech.respond(error)


def test_oauthbearer_message_and_error_acknowledgement() -> None:
    mech = OAuthBearer("a,b", "tok", host="pop.example.com", port=995)
    assert mech.initial_response() == (
        b"n,a=a=2Cb,\x01host=pop.example.com\x01port=995\x01auth=Bearer tok\x01\x01"
    )
    assert mech.respond(b"not json") == b"\x01"
    assert mech.failure_hint == "token refused"


def test_bad_base64_challenge_is_a_failure() -> None:
    with pytest.raises(SaslFailure):
        CramMD5("u", "p").decode_challenge("***not base64***")
    assert CramMD5("u", "p").decode_challenge("") == b""


def test_create_mechanism_refuses_separators_without_echoing() -> None:
    with pytest.raises(ValueError) as info:
        create_mechanism("plain", "joe", "pa\0ss")
    assert "pa\0ss" not in str(info.value)
    with pytest.raises(ValueError):
        create_mechanism("xoauth2", "joe", "tok\x01en")
    with pytest.raises(ValueError):
        create_mechanism("gssapi", "joe", "pw")
    assert isinstance(create_mechanism("scram-sha-256", "joe", "pw"), ScramSHA256)


def test_choose_auto_prefers_the_strongest() -> None:
    all_sasl = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2"]
    assert choose_auto(all_sasl, apop_timestamp="<1@h>", user_offered=True) == "scram-sha-256"
    assert (
        choose_auto(["PLAIN", "CRAM-MD5"], apop_timestamp="<1@h>", user_offered=True) == "cram-md5"
    )
    assert choose_auto(["PLAIN"], apop_timestamp="<1@h>", user_offered=True) == "apop"
    assert choose_auto(["LOGIN", "PLAIN"], apop_timestamp=None, user_offered=True) == "plain"
    assert choose_auto(["LOGIN"], apop_timestamp=None, user_offered=True) == "login"
    assert choose_auto([], apop_timestamp=None, user_offered=True) == "user"
    assert choose_auto(["XOAUTH2", "OAUTHBEARER"], apop_timestamp=None, user_offered=False) is None


@pytest.mark.parametrize(
    ("raw", "prepared"),
    [
        ("user", "user"),
        ("I\u00adX", "IX"),  # soft hyphen maps to nothing
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),
        ("a\u00a0b", "a b"),  # non-ASCII space becomes SPACE
    ],
)
def test_saslprep_rfc4013_examples(raw: str, prepared: str) -> None:
    assert saslprep(raw) == prepared


@pytest.mark.parametrize("bad", ["\u0007", "\u0627\u0031", "a\ue000"])
def test_saslprep_prohibited(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        saslprep(bad)
    assert bad not in str(info.value)


def test_scram_falls_back_to_raw_password_when_saslprep_refuses() -> None:
    # A tab is prohibited by SASLprep; servers that do not prep still expect the raw bytes.
    with_tab = ScramSHA256("user", "pen\tcil", nonce=RFC7677_NONCE)
    assert with_tab.respond(RFC7677_SERVER_FIRST) != RFC7677_CLIENT_FINAL
    prepped = ScramSHA256("user", "pen\u00adcil", nonce=RFC7677_NONCE)  # maps to "pencil"
    assert prepped.respond(RFC7677_SERVER_FIRST) == RFC7677_CLIENT_FINAL
