"""Readers: files people bring back into the tool, beside the sources.

import (a Word or text manual → sources), apply (an edited handbook.docx → edits to the sources),
collect (filled forms → one table). Every file they read is untrusted: `package` opens ZIP
packages (DOCX, XLSX) and their XML with limits and without entities or network access.
"""
