"""Op-table rows by family: each module defines ROWS (a list of tests.op_db.Op)."""
