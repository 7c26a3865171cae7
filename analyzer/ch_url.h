/* SPDX-License-Identifier: MIT */
/*
 * Where a ClickHouse database is: the clickhouse:// URLs that `load --into`, `query` and `report`
 * take instead of an SQLite file.
 *
 *   clickhouse://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?cluster=NAME[&shards=H:P,H:P...]]
 *
 * HOST:PORT is a server's HTTP interface (default port 8123); DATABASE defaults to "tracetape"
 * and must be an identifier (letters, digits, '_'). cluster names a cluster of the server's
 * remote_servers configuration: tracetape then keeps the large tables on the shards (a local
 * table on each, a Distributed table over them on every shard) and the small ones whole on
 * every shard. shards gives the HTTP interface of each shard, in the cluster's shard order, when
 * it is not the shard's host (as the cluster names it) at the URL's port. HOST may be an IPv6
 * address in brackets. Nothing here talks to a server: this is parsing only.
 */
#ifndef TT_CH_URL_H
#define TT_CH_URL_H

#include <stddef.h>

#define TT_CH_URL_SCHEME "clickhouse://"
#define TT_CH_DEFAULT_PORT 8123
#define TT_CH_DEFAULT_DATABASE "tracetape"

struct tt_ch_endpoint {
	char *host;     /* owned; an IPv6 address without its brackets */
	unsigned port;
};

struct tt_ch_url {
	char *user, *password;          /* owned, NULL when absent */
	struct tt_ch_endpoint entry;    /* HOST:PORT */
	char *database;                 /* owned */
	char *cluster;                  /* owned, NULL: one server */
	struct tt_ch_endpoint *shards;  /* owned, shard_cnt of them; none: from the cluster */
	size_t shard_cnt;
};

/* Does s start with clickhouse:// (a URL to parse rather than a file name)? */
int tt_ch_url_is(const char *s);

/*
 * Parse s into u (zeroed by the call). Returns 0, or -EINVAL with why (a sentence naming the
 * bad part) written into why[0..why_sz), or -ENOMEM. u is empty after an error.
 */
int tt_ch_url_parse(const char *s, struct tt_ch_url *u, char *why, size_t why_sz);

/* Free what u holds; u is then empty. Accepts an empty u. */
void tt_ch_url_free(struct tt_ch_url *u);

#endif /* TT_CH_URL_H */
