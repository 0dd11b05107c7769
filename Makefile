# certpin as a C library: build it with cargo, install it where C and C++ tools look.
#
#   make                                  release build: target/release/libcertpin.{a,so}
#   make install PREFIX=/usr/local        library, headers, pkg-config file, CMake package
#   make uninstall PREFIX=/usr/local      removes exactly what install put there
#
# Variables (GNU conventions): PREFIX (/usr/local), LIBDIR (PREFIX/lib), INCLUDEDIR
# (PREFIX/include), PKGCONFIGDIR (LIBDIR/pkgconfig), CMAKEDIR (LIBDIR/cmake/certpin), DESTDIR
# (a staging root prepended to every installed path, for packagers), LIBRARY_TYPES ("shared
# static", or one of them, like cargo-c's --library-type), CARGO, CARGO_TARGET_DIR.
#
# The shared library gets its SONAME, libcertpin.so.MAJOR, from build.rs, and is installed as
# libcertpin.so.VERSION with the links libcertpin.so.MAJOR and libcertpin.so. Installing as
# root: `make && sudo make install` (install re-runs cargo, a no-op once built).

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec

PREFIX        ?= /usr/local
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
PKGCONFIGDIR  ?= $(LIBDIR)/pkgconfig
CMAKEDIR      ?= $(LIBDIR)/cmake/certpin
DESTDIR       ?=
LIBRARY_TYPES ?= shared static
CARGO         ?= cargo
INSTALL       ?= install

# Paths written into certpin.pc and the CMake files must be absolute.
prefix       := $(abspath $(PREFIX))
libdir       := $(abspath $(LIBDIR))
includedir   := $(abspath $(INCLUDEDIR))
pkgconfigdir := $(abspath $(PKGCONFIGDIR))
cmakedir     := $(abspath $(CMAKEDIR))

TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)
RELEASE    := $(TARGET_DIR)/release
BUILD_LOG  := $(RELEASE)/certpin-build.log
# What the static library needs from the system, as rustc reports it for this target.
NATIVE_LIBS_FILE := $(RELEASE)/certpin-native-static-libs

# The package's version, from Cargo.toml's [package] section (its first `version =` line).
VERSION := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
MAJOR   := $(word 1,$(subst ., ,$(VERSION)))

all: build

# One cargo invocation builds the staticlib, the cdylib and the rlib, and prints the native
# libraries the staticlib needs (rustc's native-static-libs note, replayed by cargo when the
# build is fresh). Kept in a file for certpin.pc's Libs.private and the CMake package.
build:
	@mkdir -p $(RELEASE)
	$(CARGO) rustc --release --locked --lib --color never --target-dir $(TARGET_DIR) \
		-- --print native-static-libs 2>&1 | tee $(BUILD_LOG)
	@libs="$$(sed -n 's/^note: native-static-libs: //p' $(BUILD_LOG) | tail -n 1)"; \
	if [ -n "$$libs" ]; then echo "$$libs" > $(NATIVE_LIBS_FILE); fi; \
	test -s $(NATIVE_LIBS_FILE) || { echo "no native-static-libs note in $(BUILD_LOG)" >&2; exit 1; }

# sed script filling in the templates under pkg/.
SUBST = sed -e 's|@PREFIX@|$(prefix)|g' -e 's|@LIBDIR@|$(libdir)|g' \
	-e 's|@INCLUDEDIR@|$(includedir)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' \
	-e "s|@NATIVE_STATIC_LIBS@|$$(cat $(NATIVE_LIBS_FILE))|g" \
	-e "s|@NATIVE_STATIC_LIBS_CMAKE@|$$(sed -e 's/-l//g' -e 's/ /;/g' $(NATIVE_LIBS_FILE))|g"

install: build
	$(INSTALL) -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) $(DESTDIR)$(pkgconfigdir) \
		$(DESTDIR)$(cmakedir)
ifneq ($(filter static,$(LIBRARY_TYPES)),)
	$(INSTALL) -m 644 $(RELEASE)/libcertpin.a $(DESTDIR)$(libdir)/libcertpin.a
endif
ifneq ($(filter shared,$(LIBRARY_TYPES)),)
	$(INSTALL) -m 755 $(RELEASE)/libcertpin.so $(DESTDIR)$(libdir)/libcertpin.so.$(VERSION)
	ln -sfn libcertpin.so.$(VERSION) $(DESTDIR)$(libdir)/libcertpin.so.$(MAJOR)
	ln -sfn libcertpin.so.$(MAJOR) $(DESTDIR)$(libdir)/libcertpin.so
endif
	$(INSTALL) -m 644 include/certpin.h include/certpin.hpp $(DESTDIR)$(includedir)/
	$(SUBST) pkg/certpin.pc.in > $(DESTDIR)$(pkgconfigdir)/certpin.pc
	$(SUBST) pkg/certpinConfig.cmake.in > $(DESTDIR)$(cmakedir)/certpinConfig.cmake
	$(SUBST) pkg/certpinConfigVersion.cmake.in > $(DESTDIR)$(cmakedir)/certpinConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(libdir)/libcertpin.a $(DESTDIR)$(libdir)/libcertpin.so \
		$(DESTDIR)$(libdir)/libcertpin.so.$(MAJOR) $(DESTDIR)$(libdir)/libcertpin.so.$(VERSION) \
		$(DESTDIR)$(includedir)/certpin.h $(DESTDIR)$(includedir)/certpin.hpp \
		$(DESTDIR)$(pkgconfigdir)/certpin.pc \
		$(DESTDIR)$(cmakedir)/certpinConfig.cmake $(DESTDIR)$(cmakedir)/certpinConfigVersion.cmake
	rmdir $(DESTDIR)$(cmakedir) 2>/dev/null || true

.PHONY: all build install uninstall
