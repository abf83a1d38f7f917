"""IMAP: one blocking imapclient session per connection, confined to its own thread."""
