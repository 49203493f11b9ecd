"""`handbook serve`: the live preview server and its reload script."""
