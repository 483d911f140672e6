"""Reading measure data: files (CSV, Parquet) through DuckDB, SQL tables through
SQLAlchemy. Everything here hands the engines Arrow tables."""
