"""Team-side case pages: list and detail (cases.py), thread, documents, notifications."""
