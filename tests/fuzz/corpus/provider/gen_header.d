/*
 * A provider file in the shape PostgreSQL, PHP and Python ship: comments, preprocessor lines,
 * named and unnamed arguments, typedefs, "__" in probe names, several providers.
 */
#pragma D option quiet
#define LocalTransactionId unsigned int

provider myapp {
	probe request__start(const char *url, long id);   // a span of sorts
	probe request__done(long id, int status, double seconds);
	probe cache__hit(const char *key);
	probe tick();
	probe unnamed(unsigned int, char *);
	probe mixed(int count, LocalTransactionId, char *name);
};

provider other { probe x__y__z(int v); };
