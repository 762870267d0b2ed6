"""The add-certificate wizard, driven through the keyboard, checked against the stored rows."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from textual import events
from textual.widgets import Input, TextArea

from sslterm.store import ListQuery
from sslterm.store.checks import CheckStore
from sslterm.tui.screens.cert_list import CertificateListScreen
from sslterm.tui.screens.detail import DetailScreen
from sslterm.tui.screens.wizard import WizardScreen
from tests.factories import NOW, make_cert, make_chain
from tests.tui.conftest import SIZE, screen_text, settle


async def start(pilot, kind_index: int):
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, WizardScreen)
    for _ in range(kind_index):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def type_into(pilot, field_id: str, text: str):
    """Focus a field, clear it, and type ``text`` key by key."""
    widget = pilot.app.screen.query_one(f"#{field_id}")
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


async def paste(pilot, widget_id: str, text: str):
    """Paste into a text area or input the way a terminal does (a bracketed paste event)."""
    widget = pilot.app.screen.query_one(f"#{widget_id}")
    widget.focus()
    if not isinstance(widget, TextArea):
        widget.value = ""
    widget.post_message(events.Paste(text))
    await pilot.pause()


def only(store):
    rows = store.list(ListQuery(), NOW)
    assert len(rows) == 1
    return rows[0]


def name_attr(name: x509.Name, oid) -> str:
    return name.get_attributes_for_oid(oid)[0].value


async def next_step(pilot):
    await pilot.press("ctrl+n")
    await settle(pilot)


async def test_self_signed_end_to_end(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 0)
        await type_into(pilot, "owner", "carol")
        await type_into(pilot, "domain", "shop.example")
        await paste(pilot, "sans", "www.shop.example, *.cdn.shop.example")
        await type_into(pilot, "country", "be")
        await type_into(pilot, "region", "Brussels")
        await type_into(pilot, "city", "Ixelles")
        await type_into(pilot, "org", "Shop SA")
        await type_into(pilot, "unit", "Web")
        await paste(pilot, "email", "ops@shop.example")
        app.screen.query_one("#key-type").focus()
        await pilot.press("enter", "down", "down", "down", "enter")  # RSA 2048 -> ECDSA P-256
        await pilot.pause()
        await type_into(pilot, "not-before", "2026-06-16")
        await type_into(pilot, "not-after", "2026-09-14")
        await next_step(pilot)
        assert "Review: Self-signed certificate" in str(app.screen.query_one("#review").content.title)
        await next_step(pilot)  # Create
        assert isinstance(app.screen, DetailScreen)
    record = only(store)
    assert (record.owner, record.type, record.name) == ("carol", "self-signed", "shop.example")
    material = store.material(record.id, with_key=True)
    cert = material.certificate
    s = cert.subject
    assert name_attr(s, NameOID.COMMON_NAME) == "shop.example" and name_attr(s, NameOID.COUNTRY_NAME) == "BE"
    assert name_attr(s, NameOID.STATE_OR_PROVINCE_NAME) == "Brussels" and name_attr(s, NameOID.LOCALITY_NAME) == "Ixelles"
    assert name_attr(s, NameOID.ORGANIZATION_NAME) == "Shop SA" and name_attr(s, NameOID.ORGANIZATIONAL_UNIT_NAME) == "Web"
    assert name_attr(s, NameOID.EMAIL_ADDRESS) == "ops@shop.example"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sans == ["shop.example", "www.shop.example", "*.cdn.shop.example"]
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.key_size == 256
    assert cert.not_valid_before_utc.date().isoformat() == "2026-06-16"
    assert cert.not_valid_after_utc.date().isoformat() == "2026-09-14"


async def test_validation_errors_appear_under_their_fields_and_nothing_is_written(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 0)
        await type_into(pilot, "domain", "bad domain")
        await type_into(pilot, "country", "XX")  # leaving the domain field validated it
        await type_into(pilot, "not-before", "2026-08-01")
        await type_into(pilot, "not-after", "2026-07-01")
        await next_step(pilot)
        screen = app.screen
        assert "contains a space" in screen.query_one("#domain-field").error
        assert "ISO 3166" in screen.query_one("#country-field").error
        assert screen.switcher.current == "step-subject"
        assert screen.focused is screen.query_one("#domain", Input)  # the first field in error
        await type_into(pilot, "domain", "ok.example")
        await type_into(pilot, "country", "DE")
        await next_step(pilot)
        field = screen.query_one("#not-after-field")
        assert "is not before expiration date" in field.error
        # At 80x24 the form scrolls to the field in error, and typing goes into it.
        assert screen.focused is screen.query_one("#not-after", Input)
        form = screen.query_one("#step-subject")
        error = field.query_one(".field-error")
        assert form.region.contains_region(error.region) and form.region.contains_region(field.query_one(Input).region)
        await pilot.press("escape")  # something was typed: it asks first
        await settle(pilot)
        assert "Discard what you typed" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.query_one("#domain", Input).value == "ok.example"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CertificateListScreen)
    assert store.count(ListQuery(), NOW) == 0


async def test_request_then_attach_the_issued_certificate(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 1)
        assert not app.screen.query_one("#dates").display  # a request has no dates
        await type_into(pilot, "domain", "req.example")
        await type_into(pilot, "org", "Req Ltd")
        await next_step(pilot)
        await next_step(pilot)
        assert isinstance(app.screen, DetailScreen)
        pending = only(store)
        assert pending.type == "request" and pending.status(NOW).value == "pending"
        assert "BEGIN CERTIFICATE REQUEST" in app.screen.data.pem
        csr = store.material(pending.id).request
        ca = make_chain().intermediate
        issued = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.cert.subject).public_key(csr.public_key())
                  .serial_number(4242).not_valid_before(NOW).not_valid_after(NOW + timedelta(days=90))
                  .sign(ca.key, hashes.SHA256()))
        await pilot.press("i")
        await settle(pilot)
        await paste(pilot, "issued-text", issued.public_bytes(serialization.Encoding.PEM).decode() + ca.pem.decode())
        await pilot.click("#ok")
        await settle(pilot)
    record = store.get(pending.id)
    assert record.status(NOW).value == "valid" and record.serial == format(4242, "x")
    assert store.material(record.id).chain == [ca.cert]
    assert [e.kind for e in store.history("req.example")][0] in ("attached", "domain_attached")


async def test_existing_by_paste_with_a_missing_intermediate_to_acknowledge(app, store):
    chain = make_chain("paste.example")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 2)
        await paste(pilot, "cert-text", chain.leaf.pem.decode())
        await paste(pilot, "key-text", chain.leaf.key_pem.decode())
        await next_step(pilot)
        screen = app.screen
        assert screen.switcher.current == "step-review"
        assert any("missing_intermediate" in w for w in screen.plan.warnings)
        await next_step(pilot)  # refused until acknowledged
        assert store.count(ListQuery(), NOW) == 0
        screen.query_one("#ack").focus()
        await pilot.press("space")
        await next_step(pilot)
    record = only(store)
    assert record.has_key and record.type == "existing"
    assert store.material(record.id).certificate == chain.leaf.cert


async def test_existing_by_file_with_chain_file(app, store, tmp_path):
    chain = make_chain("file.example")
    (tmp_path / "c.pem").write_bytes(chain.leaf.pem)
    (tmp_path / "k.pem").write_bytes(chain.leaf.key_pem)
    (tmp_path / "chain.pem").write_bytes(chain.intermediate.pem + chain.root.pem)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 2)
        await paste(pilot, "cert-file", str(tmp_path / "c.pem"))
        await paste(pilot, "key-file", str(tmp_path / "k.pem"))
        await paste(pilot, "chain-file", str(tmp_path / "chain.pem"))
        await next_step(pilot)
        assert app.screen.plan.warnings == []
        await next_step(pilot)
    record = only(store)
    assert store.material(record.id).chain == [chain.intermediate.cert, chain.root.cert]


async def test_key_mismatch_names_both_sides_and_writes_nothing(app, store):
    chain, other = make_chain("mm.example"), make_cert("other.example")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 2)
        await paste(pilot, "cert-text", chain.leaf.pem.decode())
        await paste(pilot, "key-text", other.key_pem.decode())
        await next_step(pilot)
        error = app.screen.query_one("#key-file-field").error
        assert "key's public key SHA-256" in error and "certificate's" in error
        assert app.screen.switcher.current == "step-existing"
    assert store.count(ListQuery(), NOW) == 0


async def test_pfx_with_password_right_and_wrong(app, store, tmp_path):
    chain = make_chain("pfx.example")
    data = pkcs12.serialize_key_and_certificates(b"x", chain.leaf.key, chain.leaf.cert, [chain.intermediate.cert], serialization.BestAvailableEncryption(b"s3cret"))
    (tmp_path / "site.pfx").write_bytes(data)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 2)
        await paste(pilot, "cert-file", str(tmp_path / "site.pfx"))
        await type_into(pilot, "password", "wrong")
        await next_step(pilot)
        assert "wrong password" in app.screen.query_one("#password-field").error
        assert store.count(ListQuery(), NOW) == 0
        await type_into(pilot, "password", "s3cret")
        await next_step(pilot)
        app.screen.query_one("#ack").focus()
        await pilot.press("space")
        await next_step(pilot)
    record = only(store)
    material = store.material(record.id, with_key=True)
    assert material.key is not None and material.chain == [chain.intermediate.cert]


async def test_from_a_live_smtp_server_by_its_url_tracks_a_starttls_endpoint(app, store, exim, mail_files):
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 3)
        await type_into(pilot, "address", f"smtp://127.0.0.1:{exim.port}")
        await type_into(pilot, "sni", "mail.example.test")
        await next_step(pilot)
        assert app.screen.switcher.current == "step-review"
        app.screen.query_one("#ack").focus()
        await pilot.press("space")
        await next_step(pilot)
    record = only(store)
    assert store.material(record.id).certificate == mail_files.chain.leaf.cert
    assert [(e.domain, e.port, e.protocol) for e in CheckStore(store).endpoints()] == [("mail.example.test", exim.port, "smtp")]


async def test_from_a_live_server_with_its_chain(app, store, servers, tmp_path):
    chain = make_chain("live.example", sans=[x509.DNSName("live.example")])
    port = servers.add_tls(tmp_path, "live", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 3)
        await type_into(pilot, "address", f"127.0.0.1:{port}")
        await type_into(pilot, "sni", "live.example")
        await next_step(pilot)
        assert app.screen.switcher.current == "step-review"
        app.screen.query_one("#ack").focus()
        await pilot.press("space")
        await next_step(pilot)
    record = only(store)
    assert not record.has_key and record.domain == "live.example"
    material = store.material(record.id)
    assert material.certificate == chain.leaf.cert and material.chain == [chain.intermediate.cert]
    assert [(e.domain, e.port, e.sni) for e in CheckStore(store).endpoints()] == [("live.example", port, "live.example")]


async def test_a_dead_server_is_an_error_under_the_address(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, 3)
        await type_into(pilot, "address", "127.0.0.1:1")
        await next_step(pilot)
        assert "cannot connect" in app.screen.query_one("#address-field").error
    assert store.count(ListQuery(), NOW) == 0


from tests.autossl.conftest import pebble  # noqa: E402,F401 - the session fixture


async def fill_acme(pilot, pebble, domain: str) -> None:  # noqa: F811
    """Choose the ACME path and fill it for the test's pebble, then go to the review."""
    await start(pilot, 4)
    await paste(pilot, "acme-directory", pebble.directory)
    await paste(pilot, "acme-email", "ops@example.com")
    await paste(pilot, "acme-domain", domain)
    await paste(pilot, "acme-port", str(pebble.http_port))
    await paste(pilot, "acme-ca-bundle", str(pebble.ca_bundle))
    await next_step(pilot)


async def test_acme_through_the_wizard(app, store, pebble):  # noqa: F811
    async with app.run_test(size=SIZE) as pilot:
        await fill_acme(pilot, pebble, "wizard.acme.example")
        assert app.screen.switcher.current == "step-review"
        await pilot.press("ctrl+n")
        for _ in range(100):  # the ACME flow runs in a worker; the UI stays live meanwhile
            await pilot.pause(0.1)
            if isinstance(app.screen, DetailScreen):
                break
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
    record = only(store)
    assert record.type == "auto" and record.domain == "wizard.acme.example" and record.has_key


async def test_acme_wizard_shows_the_cas_refusal_and_writes_nothing(app, store, pebble):  # noqa: F811
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await fill_acme(pilot, pebble, "192.0.2.7")
        await pilot.press("ctrl+n")
        for _ in range(100):
            await pilot.pause(0.1)
            if any("the CA refused" in n.message for n in app._notifications):
                break
        assert any("the CA refused" in n.message and "malformed" in n.message for n in app._notifications)
        assert isinstance(app.screen, WizardScreen) and not app.screen.switcher.loading
    assert store.count(ListQuery(), NOW) == 0
