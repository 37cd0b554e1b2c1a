"""Services shared by every front end: answer files, records, check."""
