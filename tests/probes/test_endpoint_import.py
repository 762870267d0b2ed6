"""sslterm endpoint import: CSV or one endpoint per line, idempotent, a result per line."""

from __future__ import annotations

import json

import pytest

from sslterm.core.endpoints import parse_address
from sslterm.core.errors import InputError


@pytest.mark.parametrize(("text", "protocol", "expected"), [
    ("www.example.com", None, ("www.example.com", 443, "tls")),
    ("mx.example.com:25", None, ("mx.example.com", 25, "smtp")),
    ("mx.example.com:587", None, ("mx.example.com", 587, "smtp")),
    ("smtp://mx.example.com", None, ("mx.example.com", 25, "smtp")),
    ("SMTP://MX.example.com:2525", None, ("mx.example.com", 2525, "smtp")),
    ("imaps://mail.example.com", None, ("mail.example.com", 993, "tls")),
    ("postgresql://db.example.com/app", None, ("db.example.com", 5432, "postgres")),
    ("[::1]:389", None, ("::1", 389, "ldap")),
    ("db.example.com:6432", "postgres", ("db.example.com", 6432, "postgres")),
    ("host:8443", None, ("host", 8443, "tls")),
    ("ldap.example.com", "ldap", ("ldap.example.com", 389, "ldap")),
])
def test_an_address_names_its_protocol_by_flag_then_scheme_then_port(text, protocol, expected):
    address = parse_address(text, protocol)
    assert (address.host, address.port, address.protocol) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("gopher://x.example.com", "'gopher://x.example.com': the scheme 'gopher' is not one of"),
    ("x.example.com:99999", "port 99999 is not between 1 and 65535"),
    ("x.example.com:http", "port in 'x.example.com:http' is not a number"),
])
def test_a_bad_address_is_one_sentence(text, message):
    with pytest.raises(InputError) as caught:
        parse_address(text)
    assert str(caught.value).startswith(message)


LINES = """\
# mail and web, one per line
shop.example.com 127.0.0.1:8443 --sni shop.example.com
mail.example.com smtp://127.0.0.1:2525
mail.example.com 127.0.0.1:1143 --protocol imap
db.example.com 127.0.0.1:5432
broken.example.com
bad_name.example.com 127.0.0.1
"""


def test_a_line_file_adds_each_endpoint_reports_each_line_and_a_second_run_changes_nothing(run, tmp_path):
    source = tmp_path / "endpoints.txt"
    source.write_text(LINES)
    code, out, err = run("endpoint", "import", str(source))
    assert code == 1  # two lines refused; the others went in
    assert out.splitlines() == [
        "line 2: added     shop.example.com 127.0.0.1:8443 (SNI shop.example.com)",
        "line 3: added     mail.example.com smtp://127.0.0.1:2525",
        "line 4: added     mail.example.com imap://127.0.0.1:1143",
        "line 5: added     db.example.com postgres://127.0.0.1:5432",
        "line 6: error     expected DOMAIN HOST[:PORT] [--sni NAME] [--protocol P]",
        out.splitlines()[5],
        "4 added, 0 updated, 0 unchanged, 2 error",
    ]
    assert out.splitlines()[5].startswith("line 7: error     ") and "bad_name.example.com" in out.splitlines()[5]
    code, again, _ = run("endpoint", "import", str(source))
    assert again.splitlines()[-1] == "0 added, 0 updated, 4 unchanged, 2 error"


def test_list_as_csv_round_trips_through_import_into_another_store(run, tmp_path, db_path, capsys):
    from sslterm.cli import main

    source = tmp_path / "endpoints.txt"
    source.write_text(LINES)
    run("endpoint", "import", str(source))
    code, csv_text, _ = run("endpoint", "list", "--format", "csv")
    assert csv_text.splitlines()[0] == "domain,host,port,sni,protocol,ca_bundle"
    exported = tmp_path / "endpoints.csv"
    exported.write_text(csv_text)
    other = tmp_path / "other.db"
    assert main(["--db", str(other), "init"]) == 0
    assert main(["--db", str(other), "endpoint", "import", str(exported)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "4 added, 0 updated, 0 unchanged, 0 error"
    assert main(["--db", str(other), "endpoint", "list", "--format", "csv"]) == 0
    assert capsys.readouterr().out == csv_text


def test_a_csv_line_that_changes_an_endpoint_updates_it_and_json_reports_each_line(run, tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("domain,host,port,sni,protocol\nmail.example.com,127.0.0.1,2525,,smtp\n")
    run("endpoint", "import", str(first))
    second = tmp_path / "b.csv"
    second.write_text("mail.example.com,127.0.0.1,2525,mx.example.com,smtp\nweb.example.com,::1,443,,\n")  # no header: the columns in order
    code, out, _ = run("endpoint", "import", str(second), "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {"line": 1, "outcome": "updated", "message": "mail.example.com smtp://127.0.0.1:2525 (SNI mx.example.com)"},
        {"line": 2, "outcome": "added", "message": "web.example.com [::1]:443"},
    ]


def test_a_file_that_cannot_be_read_is_one_line(run, tmp_path):
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9.example.com 127.0.0.1\n")
    code, out, err = run("endpoint", "import", str(tmp_path / "latin1.txt"))
    assert code != 0 and err.strip().endswith("is not UTF-8 text: save it as UTF-8 (CSV or one endpoint per line)")
    code, out, err = run("endpoint", "import", str(tmp_path / "missing.txt"))
    assert code != 0 and "cannot read" in err and "No such file or directory" in err and "Traceback" not in err
    (tmp_path / "bad-header.csv").write_text("domain,address\nx.example.com,127.0.0.1\n")
    code, out, err = run("endpoint", "import", str(tmp_path / "bad-header.csv"))
    assert code == 1 and out.splitlines()[0] == "line 1: error     the CSV header lacks the column host: use domain,host,port,sni,protocol"
