"""Talkturo for Slack."""
