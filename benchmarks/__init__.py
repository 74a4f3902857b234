"""The benchmark of the whole path (scripts/bench): Home Assistant in-process, simulated racks."""
