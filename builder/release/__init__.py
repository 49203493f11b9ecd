"""Turning documents into a published output folder: plan, cache, worker pool, build,
atomic publishing, manifest, version control."""
