"""The web face: staff pages, the JSON API and resumable uploads, over the domains."""
