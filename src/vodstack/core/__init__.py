"""Plumbing shared by every service process: app factory, errors, metrics, db, HTTP."""
