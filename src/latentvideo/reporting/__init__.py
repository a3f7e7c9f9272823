"""Reporting: tables and figures drawn from tidy metric files only (used by the papermill notebooks)."""
