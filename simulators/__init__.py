"""Device simulators that behave like the hardware described in ../shared/research.

Each kind is an asyncio server bound to loopback, used by the tests over real sockets and
runnable standalone: ``python -m simulators <kind> --host 127.0.0.1 --port P [options]``.
"""
