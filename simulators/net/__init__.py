"""What several simulators share: a self-signed HTTPS server, a UDP device's socket and ticker."""
