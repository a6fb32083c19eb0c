"""Pure Block Kit builders: data in, dict out. No I/O here."""
