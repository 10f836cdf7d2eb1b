"""mockrt's conformance suite: whether a server or a client speaks the transcription protocol as
the live API does. ``conformance.clients`` holds one driver per client library or configuration.
"""
