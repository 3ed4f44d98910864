"""Email through a durable outbox: messages are rows written in the same transaction as the
change they tell about, delivered by a sweep (``serve`` runs it every few seconds) with
retries that back off, so nothing is lost while the mail server is down."""
