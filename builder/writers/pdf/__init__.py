"""PDF writers (WeasyPrint): the handbook, fillable forms (AcroForm), the comparison table."""
