"""Excel writers (openpyxl): fillable forms and the forms workbook."""
