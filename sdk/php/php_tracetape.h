/* SPDX-License-Identifier: MIT */
/*
 * tracetape's PHP extension: named USDT probes fired from PHP code (tracetape.c; README.md).
 */
#ifndef PHP_TRACETAPE_H
#define PHP_TRACETAPE_H

#define PHP_TRACETAPE_VERSION "0.1.0"

extern zend_module_entry tracetape_module_entry;
#define phpext_tracetape_ptr &tracetape_module_entry

PHP_MINFO_FUNCTION(tracetape);
PHP_FUNCTION(tracetape_probe);
PHP_FUNCTION(tracetape_enabled);
PHP_FUNCTION(tracetape_span_begin);
PHP_FUNCTION(tracetape_span_end);
PHP_FUNCTION(tracetape_span);

#endif /* PHP_TRACETAPE_H */
