"""The encrypted store (SQLCipher): database, keys, migrations, one *_store.py per aggregate."""
