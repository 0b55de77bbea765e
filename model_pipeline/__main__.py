"""Entry point for ``python -m model_pipeline <step>``."""

from model_pipeline.cli import main

raise SystemExit(main())
