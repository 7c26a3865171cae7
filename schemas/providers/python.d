/*
 * CPython 3.11 (Debian python3.11, /usr/bin/python3.11): the "python" provider, 8 probes.
 * Every probe is semaphore-guarded.
 *
 * Probe names and argument counts are the binary's own (`tracetape list` on it).
 *
 * N.B. In 3.11 function__entry fires only for a generator's throw() and close(), never for an
 * ordinary call (CPython issue 98894); function__return fires for every return, every yield and
 * every exception leaving a frame. Count calls with function__return: each one is an instant,
 * not the end of a span. 3.12 removed the function and line probes.
 * N.B. line fires for every line executed: expensive, and reported to crash some programs.
 *
 * Spans (`tracetape load` pairs these without any --span): gc (gc__start/gc__done, by thread)
 * and import__find__load (X__start/X__done).
 */
provider python {
	probe function__entry(const char *filename, const char *funcname, int lineno);
	probe function__return(const char *filename, const char *funcname, int lineno);
	probe line(const char *filename, const char *funcname, int lineno);
	probe gc__start(int generation);
	probe gc__done(long collected);
	probe import__find__load__start(const char *module);
	probe import__find__load__done(const char *module, int found);
	probe audit(const char *event, void *args);
};

/* Instants: a return without its entry (see above) closes nothing. */
#pragma tracetape instant function__entry|function__return
