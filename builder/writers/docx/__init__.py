"""Word writers: the handbook, fillable forms, tracked changes and the comparison table,
all on one DocxWriter base."""
