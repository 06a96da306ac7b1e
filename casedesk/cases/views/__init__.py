"""Team-side case pages: list and detail (cases.py), thread, documents, notifications, client links
(magic_links.py)."""
