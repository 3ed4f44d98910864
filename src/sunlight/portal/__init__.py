"""The public portal: pages for residents (no account, no staff chrome) over the released
footage, its custody-log proofs and the public request log."""
