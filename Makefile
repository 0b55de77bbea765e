# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README.md).
.PHONY: run test lint typecheck pytest pytest-mariadb web bench-screening bench-pipeline clean

run:            ## the product on its embedded default (SQLite, huey on SQLite), http://127.0.0.1:8000
	scripts/run-embedded.sh

test:           ## every test suite: ruff, mypy, pytest on SQLite and MariaDB, mobile
	scripts/test.sh

lint:
	scripts/bootstrap.sh test && .venv/bin/ruff check .

typecheck:
	scripts/bootstrap.sh test && .venv/bin/mypy server model_pipeline contract

pytest:
	scripts/bootstrap.sh test && .venv/bin/pytest -q tests

pytest-mariadb:
	scripts/bootstrap.sh test && DATABASE_URL=mysql://root@127.0.0.1:3306/skinscreen .venv/bin/pytest -q tests/server

web:
	cd mobile && npm ci --no-audit --no-fund && EXPO_OFFLINE=1 CI=1 npx expo export --platform web --output-dir dist

clean:
	rm -rf var server/staticfiles mobile/dist
