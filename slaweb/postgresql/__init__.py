"""Django's PostgreSQL backend, reading timestamps with psycopg's compiled loader and
splitting bulk writes to fit the parameters a statement binds."""
