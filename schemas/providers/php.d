/*
 * PHP 8.2 (Debian php8.2-cli, -fpm, libapache2-mod-php8.2): the "php" provider.
 *
 * Probe names and argument types follow php-src's Zend/zend_dtrace.d; checked against the
 * notes of Debian's /usr/bin/php8.2. Every probe is semaphore-guarded.
 *
 * N.B. The compile, execute and function probes fire only when the PHP process was started
 * with USE_ZEND_DTRACE=1 in its environment (zend_startup then installs the instrumented
 * executor); the request, error and exception probes fire regardless.
 * N.B. exception__caught's argument is a zend_string *, not a char *: the class name's bytes
 * start 24 bytes into it. It is declared as a pointer here so that nothing wrong is read.
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
	probe exception__caught(void *classname_zstr);
	probe error(char *errormsg, char *request_file, int lineno);
};
