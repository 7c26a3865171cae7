dnl tracetape's PHP extension, for phpize (README.md):
dnl   phpize && ./configure --enable-tracetape && make && make install
dnl The C SDK's headers come from the tracetape source tree this file is in (../include), or
dnl from an installed SDK (pkg-config tracetape) when the directory is not there.
PHP_ARG_ENABLE([tracetape],
  [whether to enable tracetape probes],
  [AS_HELP_STRING([--enable-tracetape], [Enable tracetape probes written in PHP code])],
  [no])

if test "$PHP_TRACETAPE" != "no"; then
  if test -r "$abs_srcdir/../include/tracetape/dynamic.h"; then
    PHP_ADD_INCLUDE([$abs_srcdir/../include])
  elif pkg-config --exists tracetape 2>/dev/null; then
    CFLAGS="$CFLAGS `pkg-config --cflags tracetape`"
  else
    AC_MSG_ERROR([tracetape's SDK headers (tracetape/dynamic.h) not found: build from the tracetape source tree or install tracetape])
  fi
  PHP_NEW_EXTENSION(tracetape, tracetape.c, $ext_shared)
fi
