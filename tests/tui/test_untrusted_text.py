"""Text from certificates is shown literally: no markup runs, no escape reaches the terminal."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from sslterm.tui.screens.detail import DetailScreen
from sslterm.tui.widgets.cert_table import CertificateTable
from tests.factories import NOW, DAY, make_cert
from tests.tui.conftest import SIZE, screen_text, settle

MARKUP_CN = "[@click=app.quit]x"
BOLD = "[bold red]LOUD[/]"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07tail"


def hostile_subject() -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, MARKUP_CN),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, BOLD),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ESCAPES),
    ])


async def test_markup_and_escapes_in_subject_and_sans_are_literal(app, store):
    issued = make_cert(subject=hostile_subject(), sans=[x509.DNSName("[link=http://evil]a[/link].example"), x509.DNSName("ok.example")],
                       not_after=NOW + 40 * DAY)
    store.add_certificate(issued.cert, [], issued.key, type="existing", owner="[b]mallory[/b]", now=NOW, name=BOLD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CertificateTable)
        row = [c.plain for c in table.cells[0]]
        assert row[0] == "[@click=app.quit]x" and row[5] == "[b]mallory[/b]" and row[6] == BOLD
        await pilot.click(CertificateTable, offset=(3, 1))  # clicking the cell must not run the action
        await settle(pilot)
        assert app.is_running
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert MARKUP_CN in text and BOLD in text and "[link=http://evil]a[/link].example" in text
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[2J\\x1b]0;pwned\\x07tail" in text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "pwned" in svg
    assert app.return_code is None or app.return_code == 0


async def test_c1_bidi_dcs_and_a_60_kb_subject_reach_the_screen_as_visible_escapes(app, store):
    long_unit = "u" * 60_000  # a 60 KB subject: shown, not a stall
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "c1\u009b31mred\u202eevil"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dcs\x1bP1$r\x1b\\osc\x1b]52;c;cHduZWQ=\x07"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, long_unit),
    ])
    issued = make_cert(subject=subject, sans=[x509.DNSName("hostile.example")], not_after=NOW + 40 * DAY)
    store.add_certificate(issued.cert, [], None, type="existing", owner="o", now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert not any(ch in text for ch in "\x1b\x07\u009b\u202e"), "a raw control reached the screen"
        assert "c1\\x9b31mred\\u202eevil" in text and "\\x1b]52;c;cHduZWQ=\\x07" in text
        svg = app.export_screenshot()
        assert not any(ch in svg for ch in "\x1b\x07\u009b\u202e")
