"""``python -m mockrt`` is ``mockrt``."""

from mockrt.cli import main

raise SystemExit(main())
