"""Talkturo REST API: models, errors and the async client."""
