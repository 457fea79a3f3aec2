"""The SQL of each schema version, one frozen module per migration (append a module; never edit one)."""
