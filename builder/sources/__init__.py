"""The manual's source files: which files, reading YAML safely, the schema, validation."""
