"""Probing endpoints: handshakes that read what a server presents, knowing no database and no UI."""
