"""Start from what servers already use: their TLS configuration, or what they serve.

``nginx``, ``apache`` and ``haproxy`` read a server's configuration into
:class:`~sslterm.discovery.sites.ServerConfig` (certificate and key files, the
addresses and names they are served on, how to test and reload the server);
``scan`` probes hosts and ports. Nothing here writes to the store: the CLI
shows the findings and applies them through the store's own rules.
"""
