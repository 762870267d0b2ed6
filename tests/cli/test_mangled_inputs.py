"""Property-based: mangled PEM, DER, PKCS#7 and PKCS#12 mixed with good files; the public corpus of odd certificates.

CI runs a fixed, bounded set of examples (derandomized); a longer run:
``SSLTERM_FUZZ_EXAMPLES=2000 python -m pytest tests/cli/test_mangled_inputs.py``.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sslterm.cli import main
from tests.factories import make_cert

EXAMPLES = int(os.environ.get("SSLTERM_FUZZ_EXAMPLES", "40"))
GOOD = make_cert("good.example", sans=[x509.DNSName("good.example")], serial=7)
SEED = make_cert("seed.example", sans=[x509.DNSName("seed.example")], serial=8)
SEED_DER = SEED.cert.public_bytes(serialization.Encoding.DER)
SOURCES = {
    "pem": SEED.pem,
    "der": SEED_DER,
    "p7b": pkcs7.serialize_certificates([SEED.cert], serialization.Encoding.DER),
    "p12": pkcs12.serialize_key_and_certificates(b"seed", SEED.key, SEED.cert, None, serialization.NoEncryption()),
}
OIDS = [bytes.fromhex(h) for h in ("2a8648ce3d0201", "2a8648ce3d030107", "2a864886f70d01010b", "550403", "551d11")]


def mangle(data: bytes, how: str, at: int, value: int) -> bytes:
    position = at % max(len(data), 1)
    if how == "truncate":
        return data[:position]
    if how == "flip":
        return data[:position] + bytes([data[position] ^ (1 << (value % 8))]) + data[position + 1:] if data else data
    if how == "oid":
        oid = OIDS[value % len(OIDS)]
        return data.replace(oid, oid[:-1] + bytes([(oid[-1] + 1 + value) % 256]), 1)
    if how == "delimiters":
        return data.replace(b"BEGIN CERTIFICATE", b"BEGIN X509 CRL", 1).replace(b"END CERTIFICATE", b"END PRIVATE KEY", 1) or b"-----BEGIN-----"
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "nul":
        return data[:position] + b"\x00" + data[position:]
    if how == "crlf":
        return data.replace(b"\n", b"\r\n")
    # a huge length: the outer DER length says 4 GiB
    return data[:1] + b"\x84\xff\xff\xff\xff" + data[2:] if data[:1] == b"\x30" else data + b"\x30\x84\xff\xff\xff\xff"


mutation = st.tuples(st.sampled_from(sorted(SOURCES)), st.sampled_from(["truncate", "flip", "oid", "delimiters", "bom", "nul", "crlf", "huge"]),
                     st.integers(0, 4096), st.integers(0, 255))


def run_import(directory: Path, db: Path) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--db", str(db), "import", str(directory)])
    return code, out.getvalue().splitlines(), err.getvalue()


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mutation, min_size=1, max_size=6))
def test_every_good_file_is_stored_and_every_mangled_one_is_one_line(tmp_path_factory, mutations):
    directory = tmp_path_factory.mktemp("mangled")
    (directory / "good.pem").write_bytes(GOOD.pem + GOOD.key_pem)
    for index, (source, how, at, value) in enumerate(mutations):
        (directory / f"bad{index}.{source}").write_bytes(mangle(SOURCES[source], how, at, value))
    code, lines, err = run_import(directory, directory / "db" / "s.db")
    assert code in (0, 1) and "internal error" not in err and "Traceback" not in err, err
    assert sum(line.startswith("imported  good.example (id ") and line.endswith("good.pem") for line in lines) == 1
    for index, (source, *_rest) in enumerate(mutations):
        name = f"bad{index}.{source}"
        mentions = [line for line in lines if line.endswith(name) or f"{name}:" in line]
        # No line only for a file whose certificate another file already brought (the first file wins, silently).
        seed_seen = any("seed.example" in line for line in lines)
        assert len(mentions) == 1 or (not mentions and seed_seen), (name, lines)
        assert all("{" not in line and "<" not in line for line in mentions), mentions


def test_mangled_files_among_two_thousand_good_ones_through_the_process_pool(tmp_path):
    from tests.factories import ec_key

    directory = tmp_path / "many"
    directory.mkdir()
    key = ec_key()
    for index in range(2050):
        (directory / f"ok{index:05d}.pem").write_bytes(make_cert(f"ok{index}.example", key=key, serial=index + 100).pem)
    hows = ["truncate", "flip", "oid", "delimiters", "bom", "nul", "crlf", "huge"]
    for index, (source, how) in enumerate((s, h) for s in sorted(SOURCES) for h in hows):
        (directory / f"zz{index:02d}.{source}").write_bytes(mangle(SOURCES[source], how, 97 * index + 13, index))
    code, lines, err = run_import(directory, tmp_path / "s.db")
    assert code in (0, 1) and "internal error" not in err and "Traceback" not in err, err
    assert sum(line.startswith("imported  ok") for line in lines) == 2050
    seed_seen = any("seed.example" in line for line in lines)
    for index in range(len(SOURCES) * len(hows)):
        mentions = sum(f"zz{index:02d}." in line for line in lines)
        assert mentions == 1 or (mentions == 0 and seed_seen), index  # none: the same certificate as an earlier file


def test_the_public_corpus_of_odd_certificates_imports_without_an_internal_error(tmp_path):
    vectors = pytest.importorskip("cryptography_vectors")
    root = Path(vectors.__file__).parent
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--db", str(tmp_path / "s.db"), "import", str(root / "x509"), str(root / "pkcs7"), str(root / "pkcs12")])
    lines = out.getvalue().splitlines()
    assert code == 1 and "internal error" not in err.getvalue() and "Traceback" not in err.getvalue(), err.getvalue()
    assert sum(line.startswith("imported") for line in lines) > 250 and len(lines) > 700
    assert not [line for line in lines if "ParseError {" in line or "<" in line.split(": ", 1)[-1]]
