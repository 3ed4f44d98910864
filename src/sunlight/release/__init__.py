"""Release governance: the published release policy, release cases per incident, review
before release, embargoes, court petitions and orders, and the public proof of a release."""
