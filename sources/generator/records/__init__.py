"""Record generators, one module per application (or per record type): each exposes
`GENERATORS: list[RecordGenerator]` and is discovered by `sources.generator.registry`."""
