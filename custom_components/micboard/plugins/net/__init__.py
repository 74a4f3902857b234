"""Transport helpers every protocol may share: TLS pinning, SSE, UDP, HTTP sessions, liveness."""
