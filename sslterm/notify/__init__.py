"""Notifications: each finding told once when it appears or rises, reminded while critical, and when it clears.

``policy`` decides (pure), ``message`` writes one message per channel, ``send`` hands it
to apprise, ``service`` runs it all after a checker pass through the outbox.
"""
