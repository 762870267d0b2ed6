"""Pure certificate logic: parse, inspect, validate, generate and status.

Nothing here imports peewee, textual or rich, and nothing reads the clock:
every function that depends on time takes ``now`` as a parameter.
"""
