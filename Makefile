# straw - top-level Makefile: delegates to the parts.
#
#   make            build everything into build/ (runs from there)
#   make check      unit + integration tests (installs Debian packages it needs)
#   make demo       loopback Slurm, straw fetch, unmodified sinfo on the result
#   make install    PREFIX, DESTDIR, LIBDIR honoured
#   SANITIZE=address,undefined make check   the whole suite under ASan/UBSan

SUBDIRS := lib plugin/munge plugin/jwt cli loader

.PHONY: all clean check unit integration demo install uninstall deps $(SUBDIRS)

all: $(SUBDIRS)

lib:
	$(MAKE) -C lib
plugin/munge plugin/jwt cli loader: lib
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

clean:
	rm -rf build
