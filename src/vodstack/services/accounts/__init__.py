"""Accounts: sign-up, log-in, server-side sessions, household profiles and plans."""
