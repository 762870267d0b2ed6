"""sslterm: an SSL/TLS certificate inventory for the terminal."""

__version__ = "0.1.0"
