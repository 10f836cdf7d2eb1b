"""mockrt's conformance suite: whether a server or a client speaks the transcription protocol as the
live API does. Cases are data (``cases/``, validated by ``case.schema.json``; known failures in
``xfail.yaml``); ``casefile`` loads them, ``runner``, ``actions`` and ``matching`` run them
sans-I/O, ``driver`` and ``targets`` do the I/O, ``invariants`` checks any stream of frames,
``results``/``report`` say how it went, ``budget`` prices a live run, ``strategies``/``machine`` are
the hypothesis side and ``pytest_collect`` the pytest side; ``conformance.clients`` holds one driver
per client library or configuration, and the client matrix runs them: client cases as data
(``client_cases/``, ``client_case.schema.json``, loaded by ``clientcases``), the client checks over
the mock's journal (``client_checks``), ``verdicts``, ``matrix`` (the I/O, with the ``inject``
relay) and ``matrix_report`` (JSON, JUnit, HTML). Run it with ``mockrt conformance`` or ``pytest
--rt-target=mock -p mockrt``. Importing this package imports nothing else (the pytest plugin loads
it in every run).
"""

from __future__ import annotations

__all__: list[str] = []
