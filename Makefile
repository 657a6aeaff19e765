# kmod-rs: build, install and uninstall.
#
#   make                        build the release binary (cargo build --release --locked)
#   make install                install the binary, the tool symlinks, man pages and completions
#   make uninstall              remove exactly what `make install` installs
#   make completions            regenerate completions/ from the option tables and man pages
#   make check-docs             mandoc -Tlint the man pages; check completions/ is up to date
#
# `make install` does not build (so that it can run as root after a build as a user): it installs
# $(KMOD_BIN), by default target/release/kmod (or $CARGO_TARGET_DIR/release/kmod).
#
# Variables (defaults in brackets); packagers set DESTDIR to a staging root:
#   DESTDIR      prepended to every installed path []
#   PREFIX       [/usr]
#   BINDIR       the kmod binary [$(PREFIX)/bin]
#   SBINDIR      insmod rmmod lsmod modprobe modinfo depmod, relative symlinks to kmod [$(PREFIX)/sbin]
#   MANDIR       man pages, in man5/ and man8/ [$(PREFIX)/share/man]
#   BASHCOMPDIR  [$(PREFIX)/share/bash-completion/completions]
#   ZSHCOMPDIR   [$(PREFIX)/share/zsh/vendor-completions]
#   FISHCOMPDIR  [$(PREFIX)/share/fish/vendor_completions.d]
#   KMOD_BIN     the binary to install [$(CARGO_TARGET_DIR)/release/kmod]
#
# The defaults give the layout of Debian 12's kmod package on a merged-/usr system: /usr/bin/kmod
# and /usr/sbin/{insmod,...} pointing to it. For the historical split layout (/bin/kmod and
# /sbin/insmod -> ../bin/kmod) use BINDIR=/bin SBINDIR=/sbin.

PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
CARGO ?= cargo
CARGO_TARGET_DIR ?= target
KMOD_BIN ?= $(CARGO_TARGET_DIR)/release/kmod
INSTALL ?= install

TOOLS := insmod rmmod lsmod modprobe modinfo depmod
COMMANDS := kmod $(TOOLS)
MAN8 := $(addsuffix .8,$(COMMANDS))
MAN5 := modprobe.d.5 depmod.d.5 modules.dep.5

.PHONY: all build install uninstall completions check-docs

all: build

build:
	$(CARGO) build --release --locked --bin kmod

install:
	@test -x '$(KMOD_BIN)' || { echo "$(KMOD_BIN) is missing: run 'make' first, or set KMOD_BIN" >&2; exit 1; }
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(SBINDIR)' \
		'$(DESTDIR)$(MANDIR)/man5' '$(DESTDIR)$(MANDIR)/man8' \
		'$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)' '$(DESTDIR)$(FISHCOMPDIR)'
	$(INSTALL) -m 0755 '$(KMOD_BIN)' '$(DESTDIR)$(BINDIR)/kmod'
	target=$$(realpath -m -s --relative-to='$(SBINDIR)' '$(BINDIR)/kmod') && \
	for tool in $(TOOLS); do ln -sfn "$$target" '$(DESTDIR)$(SBINDIR)'/$$tool || exit 1; done
	$(INSTALL) -m 0644 $(addprefix man/,$(MAN8)) '$(DESTDIR)$(MANDIR)/man8'
	$(INSTALL) -m 0644 $(addprefix man/,$(MAN5)) '$(DESTDIR)$(MANDIR)/man5'
	$(INSTALL) -m 0644 $(addprefix completions/bash/,$(COMMANDS)) '$(DESTDIR)$(BASHCOMPDIR)'
	$(INSTALL) -m 0644 $(addprefix completions/zsh/_,$(COMMANDS)) '$(DESTDIR)$(ZSHCOMPDIR)'
	$(INSTALL) -m 0644 $(addprefix completions/fish/,$(addsuffix .fish,$(COMMANDS))) '$(DESTDIR)$(FISHCOMPDIR)'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/kmod'
	for tool in $(TOOLS); do \
		if [ -L '$(DESTDIR)$(SBINDIR)'/$$tool ]; then rm -f '$(DESTDIR)$(SBINDIR)'/$$tool; fi; \
	done
	cd '$(DESTDIR)$(MANDIR)/man8' 2>/dev/null && rm -f $(MAN8) || true
	cd '$(DESTDIR)$(MANDIR)/man5' 2>/dev/null && rm -f $(MAN5) || true
	cd '$(DESTDIR)$(BASHCOMPDIR)' 2>/dev/null && rm -f $(COMMANDS) || true
	cd '$(DESTDIR)$(ZSHCOMPDIR)' 2>/dev/null && rm -f $(addprefix _,$(COMMANDS)) || true
	cd '$(DESTDIR)$(FISHCOMPDIR)' 2>/dev/null && rm -f $(addsuffix .fish,$(COMMANDS)) || true

completions:
	$(CARGO) run -q -p kmod-cli --example gen-completions

check-docs:
	mandoc -Tlint $(addprefix man/,$(MAN8) $(MAN5))
	$(CARGO) run -q -p kmod-cli --example gen-completions -- --check
