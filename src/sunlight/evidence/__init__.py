"""Evidence custody: recordings, officers, devices and the custody-event stream."""
