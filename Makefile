# straw - top-level Makefile: delegates to the parts.
#
#   make            build everything into build/ (runs from there)
#   make check      unit + integration tests (installs Debian packages it needs)
#   make demo       loopback Slurm, straw fetch, unmodified sinfo on the result
#   make bench      benchmarks against stock Slurm and a local file (BENCHMARKS.md)
#   make install    PREFIX, DESTDIR, LIBDIR honoured (man pages too: install-docs)
#   make deb        Debian packages into build/deb (packaging/deb/build.sh)
#   make rpm        RPM packages into build/rpm (packaging/rpm/build.sh)
#   SANITIZE=address,undefined make check   the whole suite under ASan/UBSan
#   make fuzz FUZZ_TIME=600   every libFuzzer target that long (clang; tests/fuzz/)
#   make fuzz-smoke           every target ~10 s, and the regression inputs (CI)

SUBDIRS := lib plugin/munge plugin/jwt cli loader plugin/spank

.PHONY: all clean check unit integration demo install uninstall deps $(SUBDIRS)

all: $(SUBDIRS)

lib:
	$(MAKE) -C lib
plugin/munge plugin/jwt cli loader plugin/spank: lib
	$(MAKE) -C $@

unit: all
	$(MAKE) -C tests unit

integration: all
	$(MAKE) -C tests integration

check: all
	@$(MAKE) --no-print-directory -C tests check

demo: all
	tests/cluster/demo.sh

deps:
	tests/cluster/install-deps.sh

install: all
	for d in $(SUBDIRS); do $(MAKE) -C $$d install || exit 1; done

uninstall:
	for d in $(SUBDIRS); do $(MAKE) -C $$d uninstall || exit 1; done

fuzz:
	$(MAKE) -C tests/fuzz run

fuzz-smoke:
	$(MAKE) -C tests/fuzz smoke

.PHONY: fuzz fuzz-smoke

clean:
	rm -rf build

# ---- man pages and packages

.PHONY: install-docs uninstall-docs check-docs deb rpm

install: install-docs
uninstall: uninstall-docs

install-docs:
	$(MAKE) -C docs install

uninstall-docs:
	$(MAKE) -C docs uninstall

check-docs:
	$(MAKE) -C docs check

# Each builds from a copy of the tree (a tarball for rpm), never in it.
deb:
	packaging/deb/build.sh build/deb

rpm:
	packaging/rpm/build.sh build/rpm

# ---- benchmarks: a loopback cluster of its own, one table (BENCHMARKS.md)

.PHONY: bench
bench: all
	$(MAKE) -C bench
	bench/run.sh
