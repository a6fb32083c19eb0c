"""Real servers for tests: redis-server on a free port, ASGI apps under uvicorn in a thread."""
