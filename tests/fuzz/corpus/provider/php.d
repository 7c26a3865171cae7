/*
 * PHP 8.2 (Debian php8.2-cli, -fpm, libapache2-mod-php8.2): the "php" provider.
 *
 * Probe names and argument types follow php-src's Zend/zend_dtrace.d; checked against the
 * notes of Debian's /usr/bin/php8.2. Every probe is semaphore-guarded.
 *
 * N.B. The compile, execute and function probes fire only when the PHP process was started
 * with USE_ZEND_DTRACE=1 in its environment (zend_startup then installs the instrumented
 * executor); the request, error and exception probes fire regardless.
 * N.B. exception__caught's argument is a zend_string *, not a char *: a counted string whose
 * length (a size_t) is 16 bytes and whose bytes are 24 bytes into it (after the refcount header
 * and the hash). The string pragma below makes tracetape read it as such.
 *
 * Spans (`tracetape load` pairs these without any --span): request (request__startup to
 * request__shutdown, by thread), function (function__entry/function__return, by thread as a
 * stack; `report --by function_name` or `--by classname` groups them), execute and
 * compile__file (X__entry/X__return).
 */
provider php {
	probe request__startup(char *request_file, char *request_uri, char *request_method);
	probe request__shutdown(char *request_file, char *request_uri, char *request_method);
	probe compile__file__entry(char *compile_file, char *compile_file_translated);
	probe compile__file__return(char *compile_file, char *compile_file_translated);
	probe execute__entry(char *request_file, int lineno);
	probe execute__return(char *request_file, int lineno);
	probe function__entry(char *function_name, char *request_file, int lineno, char *classname,
			      char *scope);
	probe function__return(char *function_name, char *request_file, int lineno, char *classname,
			       char *scope);
	probe exception__thrown(char *classname);
	probe exception__caught(void *classname);
	probe error(char *errormsg, char *request_file, int lineno);
};

#pragma tracetape string php:exception__caught classname len=@16:8 data=@24
#pragma tracetape span request start=request__startup end=request__shutdown
