"""``tui-mail --demo``: sample mail shipped in the package and the small POP3 server serving it."""

from __future__ import annotations

import email
import pkgutil
import poplib
import socket

import tui_mail
from tui_mail.demo import DemoServer, sample_messages
from tui_mail.pop3 import POP3Client

HELLO = b"Subject: hello\r\nFrom: a@example.org\r\n\r\nline 1\r\n.dot line\r\nline 3\r\n"
BYE = b"Subject: bye\nFrom: b@example.org\n\nthe end\n"


def test_sample_mail_comes_from_the_package() -> None:
    messages = sample_messages()
    assert len(messages) >= 15
    subjects = [email.message_from_bytes(data).get("Subject", "") for data in messages]
    assert all(subjects), "every sample message has a subject"
    assert max(len(data) for data in messages) > 2_000_000  # the large one, shipped gzipped


def test_the_package_ships_no_test_server() -> None:
    names = [module.name for module in pkgutil.walk_packages(tui_mail.__path__, "tui_mail.")]
    assert "tui_mail.demo.server" in names
    assert not [name for name in names if "testserver" in name or "fault" in name]


def test_demo_server_speaks_rfc_1939() -> None:
    server = DemoServer([HELLO, BYE], user="demo", password="demo")
    with server.background():
        client = poplib.POP3(server.host, server.port, timeout=5)
        capabilities = client.capa()
        assert {"TOP", "UIDL", "PIPELINING", "USER"} <= set(capabilities)
        client.user("demo")
        client.pass_("demo")
        assert client.stat() == (2, len(HELLO) + len(BYE) + 4)  # BYE gains CRs on the wire
        uids = [line.split()[1] for line in client.uidl()[1]]
        assert len(set(uids)) == 2
        assert client.top(1, 1)[1] == [b"Subject: hello", b"From: a@example.org", b"", b"line 1"]
        assert client.retr(1)[1][-2] == b".dot line"  # byte-stuffed on the wire, unstuffed here
        client.dele(2)
        assert client.stat()[0] == 1
        client.rset()
        assert client.stat()[0] == 2
        client.dele(2)
        client.quit()
        assert server.mailbox.deleted_uids == [uids[1].decode()]
        again = poplib.POP3(server.host, server.port, timeout=5)
        again.user("demo")
        again.pass_("demo")
        assert again.stat()[0] == 1
        again.quit()


def test_demo_server_refuses_a_wrong_password_and_commits_nothing_without_quit() -> None:
    server = DemoServer([HELLO], user="demo", password="demo")
    with server.background():
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user("demo")
        try:
            client.pass_("wrong")
        except poplib.error_proto as refused:
            assert b"[AUTH]" in refused.args[0]
        else:
            raise AssertionError("a wrong password was accepted")
        client.user("demo")
        client.pass_("demo")
        client.dele(1)
        client.sock.close()  # dropped: no UPDATE state
        assert server.mailbox.deleted_uids == []


def test_demo_server_answers_pipelined_commands_in_order() -> None:
    server = DemoServer([HELLO, BYE], user="demo", password="demo")
    with server.background(), socket.create_connection((server.host, server.port), 5) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"+OK")
        sock.sendall(b"USER demo\r\nPASS demo\r\nSTAT\r\nLIST 2\r\nNOOP\r\nQUIT\r\n")
        answers = [reader.readline() for _ in range(6)]
        assert answers[2] == f"+OK 2 {len(HELLO) + len(BYE) + 4}\r\n".encode()
        assert answers[3] == f"+OK 2 {len(BYE) + 4}\r\n".encode()
        assert answers[4] == b"+OK\r\n"
        assert answers[5].startswith(b"+OK")


async def test_our_client_lists_the_demo_mailbox() -> None:
    async with DemoServer(sample_messages(), user="demo", password="demo") as server:
        client = await POP3Client.connect(
            server.host, server.port, tls="none", allow_plaintext=True
        )
        async with client:
            await client.login("demo", "demo")
            listing = await client.uidl()
            assert len(listing) == len(sample_messages())
            assert client.capabilities.pipelining
