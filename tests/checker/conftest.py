from __future__ import annotations

import pytest

from tests.checker.servers import ServerThread


@pytest.fixture
def servers():
    thread = ServerThread()
    yield thread
    thread.close()
