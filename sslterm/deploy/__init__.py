"""Deploying: a lineage's current version written where it is served, the service reloaded, the result verified."""
