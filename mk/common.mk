# common.mk - compiler flags and paths shared by every part's Makefile.
#
# Knobs: SANITIZE=address,undefined  DEVELOPER=1 (-Werror)
#        PREFIX DESTDIR LIBDIR BINDIR INCLUDEDIR MANDIR  EXTRA_CFLAGS EXTRA_LDFLAGS
#        BUILD (output folder, default build/ at the top)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILD ?= $(TOP)/build

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
PLUGINDIR ?= $(LIBDIR)/straw

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wwrite-strings -Wpointer-arith -Wformat-security -fno-common
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -fstack-protector-strong \
	-I$(TOP)/include -I$(TOP)/lib -MMD -MP \
	-DSTRAW_PLUGINDIR='"$(PLUGINDIR)"' -DSTRAW_LIBDIR='"$(LIBDIR)"' \
	-DSTRAW_SYSCONFDIR='"$(SYSCONFDIR)"'
BASE_LDFLAGS := -Wl,-z,relro -Wl,-z,now

ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BASE_LDFLAGS += -fsanitize=$(SANITIZE)
else
BASE_CFLAGS += -D_FORTIFY_SOURCE=2
endif
ifneq ($(DEVELOPER),)
BASE_CFLAGS += -Werror
endif

ALL_CFLAGS = $(BASE_CFLAGS) $(WARN) $(CFLAGS) $(CPPFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(BASE_LDFLAGS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# Engine objects, shared with the unit tests (which reach internals).
LIBSTRAW_A := $(BUILD)/obj/libstraw.a
LIBSTRAW_LIBS := -ldl -lpthread -lresolv

$(BUILD)/obj/%.o: $(TOP)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
