"""``python -m mockrt`` is ``mockrt``."""

from mockrt.cli.main import main

raise SystemExit(main())
