/*
 * PostgreSQL 15 (Debian postgresql-15): the "postgresql" provider of
 * /usr/lib/postgresql/15/bin/postgres, 57 probes. Every probe is semaphore-guarded.
 *
 * Probe names and argument counts are the binary's own (`tracetape list` on it); types are
 * declared as C types so that tracetape knows strings from integers. Where the compiler passes
 * fewer bytes than the type says (lock__wait's fourth and fifth arguments are 2 and 1 bytes,
 * sort__start's booleans are 4), the note's size wins.
 *
 * Spans (`tracetape load` pairs these without any --span):
 *   - query (query__start/query__done), query__parse, query__rewrite, query__plan,
 *     query__execute, lock__wait (all X__start/X__done, by thread: a backend is one thread).
 *     N.B. query__start/done fire only in the simple query protocol (psql, pgbench -M simple);
 *     the extended protocol (prepared statements, most drivers) runs parse/plan/execute only.
 *   - transaction: transaction__start to transaction__commit or transaction__abort, one at a
 *     time per backend process. Every backend commits one transaction while it starts up,
 *     before its first query.
 */
provider postgresql {
	probe transaction__start(unsigned int lxid);
	probe transaction__commit(unsigned int lxid);
	probe transaction__abort(unsigned int lxid);

	probe lwlock__acquire(const char *tranche, int mode);
	probe lwlock__release(const char *tranche);
	probe lwlock__wait__start(const char *tranche, int mode);
	probe lwlock__wait__done(const char *tranche, int mode);
	probe lwlock__condacquire(const char *tranche, int mode);
	probe lwlock__condacquire__fail(const char *tranche, int mode);
	probe lwlock__acquire__or__wait(const char *tranche, int mode);
	probe lwlock__acquire__or__wait__fail(const char *tranche, int mode);

	/* The lock tag: field1..4 identify the object (e.g. database and relation oids), type
	 * is the LockTagType, mode the LOCKMODE asked for. */
	probe lock__wait__start(unsigned int field1, unsigned int field2, unsigned int field3,
				unsigned int field4, unsigned int locktag_type, int lockmode);
	probe lock__wait__done(unsigned int field1, unsigned int field2, unsigned int field3,
			       unsigned int field4, unsigned int locktag_type, int lockmode);

	probe query__parse__start(const char *query);
	probe query__parse__done(const char *query);
	probe query__rewrite__start(const char *query);
	probe query__rewrite__done(const char *query);
	probe query__plan__start();
	probe query__plan__done();
	probe query__execute__start();
	probe query__execute__done();
	probe query__start(const char *query);
	probe query__done(const char *query);
	probe statement__status(const char *status);

	probe sort__start(int sort_type, bool unique, int nkeys, int work_mem, bool random_access,
			  int parallel);
	probe sort__done(bool on_disk, long space_kb);

	/* fork: the relation fork (0 main, 1 fsm, 2 visibility map, 3 init); tablespace, database
	 * and relation are oids; backend is -1 for shared buffers, else the local buffers'
	 * backend. */
	probe buffer__read__start(int fork, unsigned int block, unsigned int tablespace,
				  unsigned int database, unsigned int relation, int backend, bool extend);
	probe buffer__read__done(int fork, unsigned int block, unsigned int tablespace,
				 unsigned int database, unsigned int relation, int backend, bool extend,
				 bool found);
	probe buffer__flush__start(int fork, unsigned int block, unsigned int tablespace,
				   unsigned int database, unsigned int relation);
	probe buffer__flush__done(int fork, unsigned int block, unsigned int tablespace,
				  unsigned int database, unsigned int relation);
	probe buffer__checkpoint__start(int flags);
	probe buffer__checkpoint__sync__start();
	probe buffer__checkpoint__done();
	probe buffer__sync__start(int nbuffers, int to_write);
	probe buffer__sync__written(int buf_id);
	probe buffer__sync__done(int nbuffers, int written, int to_write);
	probe buffer__write__dirty__start(int fork, unsigned int block, unsigned int tablespace,
					  unsigned int database, unsigned int relation);
	probe buffer__write__dirty__done(int fork, unsigned int block, unsigned int tablespace,
					 unsigned int database, unsigned int relation);

	probe deadlock__found();

	probe checkpoint__start(int flags);
	probe checkpoint__done(int buffers_written, int nbuffers, int segs_added, int segs_removed,
			       int segs_recycled);
	probe clog__checkpoint__start(bool shutdown);
	probe clog__checkpoint__done(bool shutdown);
	probe subtrans__checkpoint__start(bool shutdown);
	probe subtrans__checkpoint__done(bool shutdown);
	probe multixact__checkpoint__start(bool shutdown);
	probe multixact__checkpoint__done(bool shutdown);
	probe twophase__checkpoint__start();
	probe twophase__checkpoint__done();

	probe smgr__md__read__start(int fork, unsigned int block, unsigned int tablespace,
				    unsigned int database, unsigned int relation, int backend);
	probe smgr__md__read__done(int fork, unsigned int block, unsigned int tablespace,
				   unsigned int database, unsigned int relation, int backend, int bytes,
				   int bytes_requested);
	probe smgr__md__write__start(int fork, unsigned int block, unsigned int tablespace,
				     unsigned int database, unsigned int relation, int backend);
	probe smgr__md__write__done(int fork, unsigned int block, unsigned int tablespace,
				    unsigned int database, unsigned int relation, int backend, int bytes,
				    int bytes_requested);

	probe wal__insert(unsigned char rmgr, unsigned char info);
	probe wal__switch();
	probe wal__buffer__write__dirty__start();
	probe wal__buffer__write__dirty__done();
};

#pragma tracetape span transaction start=transaction__start \
	end=transaction__commit|transaction__abort key=pid
