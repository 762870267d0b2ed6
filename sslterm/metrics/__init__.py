"""Prometheus metrics of the store: x509-certificate-exporter's names where they fit, sslterm's own for the rest."""
