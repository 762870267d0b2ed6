"""Auto SSL: obtain and renew certificates from an ACME CA (RFC 8555) with the ``acme`` library.

``client`` speaks ACME and answers http-01 challenges; it knows nothing of the
store. ``service`` stores what it obtains, with the account key encrypted like
every other key, and renews ``auto`` certificates for the checker.
"""
