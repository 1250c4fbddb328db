"""The local process model: every service its own OS process, started, watched and stopped here."""
