"""A streamed fleet import stores exactly what the per-certificate path stores."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from sslterm.core import discover as discovery
from sslterm.core.discover import Scan, discover
from sslterm.store import Store
from sslterm.store.bulk import import_scan
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import DAY, NOW, make_cert, make_chain, pem


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, object]:
    """Keys and chains before and after their certificates in walk order, repeats, and damage."""
    root = tmp_path / "fleet"
    early, late = root / "a", root / "z"
    early.mkdir(parents=True)
    late.mkdir(parents=True)
    split = make_chain("split.example", leaf_not_after=NOW + 20 * DAY)
    (early / "split.crt").write_bytes(split.leaf.pem)  # its key and intermediate come last
    (late / "split.key").write_bytes(split.leaf.key_pem)
    (late / "intermediate.pem").write_bytes(split.intermediate.pem)
    full = make_chain("full.example")
    (early / "0-privkey.pem").write_bytes(full.leaf.key_pem)  # key before its certificate
    (early / "fullchain.pem").write_bytes(pem(full.leaf.cert, full.intermediate.cert))
    bare = make_cert("bare.example", not_after=NOW - 3 * DAY)
    (early / "bare.pem").write_bytes(bare.pem)
    (late / "bare-again.pem").write_bytes(bare.pem)  # the same certificate twice: stored once
    (early / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    present = make_cert("present.example")
    (early / "present.pem").write_bytes(present.pem)
    (late / "present.key").write_bytes(present.key_pem)
    requested = make_cert("requested.example")
    (early / "requested.pem").write_bytes(requested.pem)
    idn = make_cert("xn--bcher-kva.example", sans=[x509.DNSName("xn--bcher-kva.example"), x509.DNSName("*.Shop.Example"),
                                                   x509.IPAddress(ipaddress.ip_address("192.0.2.7")), x509.IPAddress(ipaddress.ip_address("2001:db8::1"))])
    (early / "idn.pem").write_bytes(idn.pem)  # search forms in Unicode, IP addresses in the JSON of names
    many = [make_cert(f"host{i}.example", serial=5000 + i) for i in range(30)]
    for i, issued in enumerate(many):
        (early / f"host{i:02}.pem").write_bytes(issued.pem)
    return {"root": root, "present": present, "requested": requested}


def _prepare(store: Store, tree: dict[str, object]) -> None:
    """What was stored before the import: one certificate without its key, one pending request."""
    present, requested = tree["present"], tree["requested"]
    store.add_certificate(present.cert, [], None, type="existing", owner="ops", now=NOW)  # type: ignore[attr-defined]
    csr = x509.CertificateSigningRequestBuilder().subject_name(requested.cert.subject).sign(requested.key, hashes.SHA256())  # type: ignore[attr-defined]
    store.add_request(csr, requested.key, owner="ops", now=NOW)  # type: ignore[attr-defined]


def _state(store: Store) -> dict[str, tuple[object, ...]]:
    """Everything an import decides, by fingerprint: names, key, chain, web-domains and history."""
    state = {}
    for row in store.db.execute_sql("SELECT id, fingerprint_sha256, domain, type, archived, sans_json, search FROM certificate WHERE cert_pem IS NOT NULL"):
        cert_id, fingerprint, domain, kind, archived, sans_json, search = row
        material = store.material(cert_id, with_key=True)
        key = material.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()) if material.key else None
        webs = sorted(name for name, owner in store.web_domains() if owner == cert_id)
        names = sorted(r[0] for r in store.db.execute_sql("SELECT name FROM certificatename WHERE certificate_id = ?", [cert_id]))
        found = [r[0] for r in store.db.execute_sql("SELECT rowid FROM certificate_fts WHERE certificate_fts MATCH ?", [f'"{domain[:8]}"'])]
        events = sorted(e.kind for e in store.events_for(cert_id, limit=50))
        state[fingerprint] = (domain, kind, archived, key, len(material.chain), webs, names, cert_id in found, events, sans_json, search)
    return state


def test_streamed_import_through_the_pool_matches_the_per_certificate_path(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "POOL_THRESHOLD", 2)  # a real process pool, on a small tree
    monkeypatch.setattr(discovery, "POOL_CHUNK", 3)

    streamed = Store.open(tmp_path / "streamed.db", "tester")  # one store at a time: the models bind to it
    _prepare(streamed, tree)
    scan = Scan([tree["root"]], workers=2)  # type: ignore[list-item]
    outcomes = [(o.item.source, o.outcome, o.domain, o.has_key) for o in import_scan(streamed, scan, owner="ops", now=NOW)]
    streamed_state = _state(streamed)
    streamed.close()

    reference = Store.open(tmp_path / "reference.db", "tester")
    _prepare(reference, tree)
    found = discover([tree["root"]], workers=0)  # type: ignore[list-item]  # parsed in this process
    expected = [reference.add_certificate(c.certificate, c.chain, c.key, type="existing", owner="ops", now=NOW) for c in found.candidates]
    reference_state = _state(reference)
    reference.close()

    assert outcomes == [(c.source, r.outcome, r.record.domain, r.record.has_key) for c, r in zip(found.candidates, expected)]
    assert {o[1] for o in outcomes} == {"imported", "key added", "attached"}
    assert [(r.source, r.reason) for r in scan.rejections] == [(r.source, r.reason) for r in found.rejections]
    assert len(scan.rejections) == 1 and scan.rejections[0].source.endswith("broken.crt")
    assert streamed_state == reference_state
    by_domain = {s[0]: s for s in streamed_state.values()}
    assert by_domain["split.example"][3] is not None and by_domain["split.example"][4] == 1  # key and chain found late
    assert by_domain["full.example"][3] is not None and by_domain["full.example"][4] == 1
    assert by_domain["xn--bcher-kva.example"][9:] == (
        '["xn--bcher-kva.example", "*.Shop.Example", "192.0.2.7", "2001:db8::1"]',
        "xn--bcher-kva.example *.shop.example 192.0.2.7 2001:db8::1 bücher.example",
    )

def test_pairing_before_the_scan_is_read_is_refused(tree):
    scan = Scan([tree["root"]], workers=1)  # type: ignore[list-item]
    first = next(iter(scan.candidates()))
    with pytest.raises(RuntimeError):
        scan.pair(first)




def test_an_interrupted_import_is_finished_by_running_it_again(tree, tmp_path, monkeypatch):
    from sslterm.store import bulk

    store = Store.open(tmp_path / "s.db", "tester")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(bulk, "_add_keys_and_chains", interrupted)  # stopped after the rows, before keys and chains
        with pytest.raises(KeyboardInterrupt):
            import_scan(store, Scan([tree["root"]], workers=0), owner="ops", now=NOW)  # type: ignore[list-item]
    assert store.db.execute_sql("SELECT COUNT(*) FROM certificate WHERE key_blob IS NOT NULL").fetchone()[0] == 0
    again = import_scan(store, Scan([tree["root"]], workers=0), owner="ops", now=NOW)  # type: ignore[list-item]
    finished = {o.domain: o.outcome for o in again}
    assert finished["split.example"] == "key added" and finished["full.example"] == "key added"
    state = {s[0]: s for s in _state(store).values()}
    assert state["split.example"][3] is not None and state["split.example"][4] == 1  # key and chain
    assert state["full.example"][3] is not None and state["full.example"][4] == 1
    store.close()


def _hold(seconds: float) -> None:
    time.sleep(seconds)


_parse_chunk = discovery._parse_chunk
_parsed_here: list[str] = []  # a worker process appends to its own copy, never to this one


def _recording_parse_chunk(chunk: list[tuple[str, bool]], password: bytes | None, key_passwords=None) -> list[discovery.ParsedFile]:
    _parsed_here.extend(path for path, _ in chunk)
    return _parse_chunk(chunk, password, key_passwords)


def test_the_caller_parses_chunks_from_the_back_while_the_workers_are_busy(tmp_path, monkeypatch):
    files = []
    for number in range(12):
        path = tmp_path / f"{number:02}.pem"
        path.write_bytes(pem(make_cert(f"host{number}.example.com", serial=number + 1).cert))
        files.append((str(path), False))
    chunks = [files[i : i + 2] for i in range(0, len(files), 2)]
    _parsed_here.clear()
    monkeypatch.setattr(discovery, "_parse_chunk", _recording_parse_chunk)
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(_hold, 0.5)  # the only worker is busy: every chunk it has not started is the caller's to take
        results = [parsed for part in discovery._shared(pool, chunks, None) for parsed in part]

    assert [r.path for r in results] == [path for path, _ in files]  # file order, whoever parsed what
    assert [r.certificates[0][1].primary_name for r in results] == [f"host{n}.example.com" for n in range(12)]
    assert _parsed_here[:2] == [path for path, _ in chunks[-1]]  # taken from the back: the last chunk first
    assert set(_parsed_here) < {path for path, _ in files}  # the chunk queued for the worker stayed with it


def _slow_parse_chunk(chunk: list[tuple[str, bool]], password: bytes | None, key_passwords=None) -> list[discovery.ParsedFile]:
    time.sleep(0.2)
    return _parse_chunk(chunk, password, key_passwords)


def test_a_stream_stopped_early_leaves_the_chunks_no_worker_started_unread(tmp_path, monkeypatch):
    path = tmp_path / "one.pem"
    path.write_bytes(pem(make_cert("one.example.com").cert))
    chunks = [[(str(path), False)] for _ in range(10)]
    monkeypatch.setattr(discovery, "STEAL_AFTER_S", 5.0)  # the caller waits rather than parsing chunks itself
    monkeypatch.setattr(discovery, "_parse_chunk", _slow_parse_chunk)  # 0.2 s a chunk: the worker never races ahead
    with ProcessPoolExecutor(max_workers=1) as pool:
        submitted: list[Future[object]] = []
        submit = pool.submit

        def recording_submit(*args):  # type: ignore[no-untyped-def]
            submitted.append(submit(*args))
            return submitted[-1]

        monkeypatch.setattr(pool, "submit", recording_submit)
        stream = discovery._shared(pool, chunks, None)
        assert [r.path for r in next(stream)] == [str(path)]
        stream.close()  # as when storing fails or the user presses Ctrl-C
        assert sum(f.cancelled() for f in submitted) >= len(chunks) - 4  # not the one read, the one running, two queued
