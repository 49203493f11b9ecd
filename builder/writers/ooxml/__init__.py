"""Office Open XML helpers shared by the Word and Excel writers, one module per part."""
