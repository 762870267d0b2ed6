"""The renewal checker: an asyncio pass that renews, probes and reports.

The probing code knows neither textual nor peewee: it returns results and the
caller persists them.
"""
