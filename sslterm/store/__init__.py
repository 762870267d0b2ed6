"""Persistence: peewee models bound at run time, migrations, key encryption, queries.

Only this package imports peewee. Records leave it as core dataclasses.
"""

from sslterm.store.queries import ListQuery
from sslterm.store.rows import covers
from sslterm.store.store import AddResult, Material, Store

__all__ = ["AddResult", "ListQuery", "Material", "Store", "covers"]
