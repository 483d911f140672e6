"""The `qualitas` command. Each sub-command lives in its own module with a
`register(app)` function; `main.py` lists them."""
