"""`handbook collect`: filled forms back from the branches, read into one table.

    identify   which form, branch, version a file is (its embedded properties, else its fields)
    docx, xlsx, pdf   the raw values of one file by the shared field names
                      (builder.document.fieldnames), every DOCX/XLSX opened through
                      builder.readers.package first
    check      typed values and problems against the form's definition
    summary    summary.xlsx

`collect(paths, manual)` walks the paths and returns a `Collection`.
"""

from builder.readers.collect.run import Collection, Record, collect

__all__ = ["Collection", "Record", "collect"]
