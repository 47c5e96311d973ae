"""Outbound HTTP for webhooks: the guarded client (client.py) and Standard Webhooks signing (signing.py)."""
