"""Published policies the community can read and take part in: each policy file's version
history with its exact text (``policy_versions``), proposed versions open for public
comment, staff moderation of the comments, and the decision on each proposal."""
