"""The command-line face: `sunlight serve`, `ingest`, `worker`, `demo`, ..."""
