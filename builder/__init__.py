"""The handbook builder: an operations manual kept as YAML, rendered per branch office."""

__version__ = "0.1.0"
