"""One writer per output format; each renders a resolved `builder.document.model.Document`."""
