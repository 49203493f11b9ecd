"""The format-neutral document: the model, resolve(manual, branch), numbering, placeholders,
field names, document properties, and the change set between two versions."""
