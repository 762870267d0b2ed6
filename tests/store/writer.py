"""A second writer process for the concurrency test: ``python writer.py DB CERT_ID PREFIX N``."""

import sys
from pathlib import Path

from sslterm.store import Store
from tests.factories import NOW, make_cert

db, cert_id, prefix, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
store = Store.open(Path(db), user=prefix)
for i in range(count):
    store.attach_web_domain(cert_id, f"{prefix}{i}.example", NOW)
    store.add_certificate(make_cert(f"{prefix}-cert{i}.example", serial=i + 1).cert, [], None, type="existing", owner=prefix, now=NOW)
store.close()
print("done")
