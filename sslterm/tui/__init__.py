"""The Textual front end. Only this package (and the CLI that launches it) imports textual."""
